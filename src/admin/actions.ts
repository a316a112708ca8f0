// The changes the admin makes to users, shared by the single-user pages and the bulk actions: each one
// enforces the same rules, ends the sessions it must, and writes the history.
import { LastSuperuserError } from "../errors.js";
import type { User } from "../user/user-row.js";
import { diffUser } from "./history-store.js";
import { LAST_SUPERUSER_MESSAGE, LAST_SUPERUSER_OTHER_MESSAGE, type AdminKit } from "./context.js";

export type FlagName = "active" | "admin" | "superuser";
export type FlagSet = Record<FlagName, boolean>;
export const FLAG_NAMES: readonly FlagName[] = ["active", "admin", "superuser"];

export type Outcome = { ok: true; user?: User } | { ok: false; status: 400 | 409; message: string };

const lastSuperuser = (actor: User, user: User): Outcome => ({
  ok: false,
  status: 409,
  message: actor.id === user.id ? LAST_SUPERUSER_MESSAGE : LAST_SUPERUSER_OTHER_MESSAGE,
});

/** The flags a change takes away. */
export function removedFlags(user: User, after: FlagSet): FlagName[] {
  return FLAG_NAMES.filter((flag) => user[flag] && !after[flag]);
}

const manages = (flags: FlagSet) => flags.active && flags.admin && flags.superuser;

/**
 * Answers early (before a confirmation page) when a change would leave no active admin superuser.
 * Only a hint: the user layer checks again in the transaction that makes the change.
 */
export async function leavesNoManager(kit: AdminKit, user: User, after: FlagSet | null): Promise<boolean> {
  if (!manages(user) || (after && manages(after))) return false;
  const managers = await kit.userClass.countUsers({ filter: { active: true, admin: true, superuser: true } });
  return managers <= 1;
}

export async function setPermissions(kit: AdminKit, actor: User, user: User, after: FlagSet): Promise<Outcome> {
  if (await leavesNoManager(kit, user, after)) return lastSuperuser(actor, user);
  await kit.history.assertReady();
  let updated: User;
  try {
    updated = await kit.userClass.changePermissions(user.id, after, { keepOneAdminSuperuser: true });
  } catch (error) {
    if (error instanceof LastSuperuserError) return lastSuperuser(actor, user);
    throw error;
  }
  // The user layer ends the sessions in the user table's database; the admin's store may use another one.
  if ((user.active && !after.active) || (user.admin && !after.admin)) await kit.auth.store.removeAllForUser(user.id);
  const changes = diffUser(user, updated);
  if (changes.length > 0) await kit.history.record(actor, updated, "permissions", changes);
  return { ok: true, user: updated };
}

export async function deleteUser(kit: AdminKit, actor: User, user: User): Promise<Outcome> {
  if (actor.id === user.id) return { ok: false, status: 400, message: "You cannot delete yourself: ask another superuser." };
  if (await leavesNoManager(kit, user, null)) return lastSuperuser(actor, user);
  await kit.history.assertReady();
  try {
    await kit.userClass.deleteUser(user.id, { keepOneAdminSuperuser: true });
  } catch (error) {
    if (error instanceof LastSuperuserError) return lastSuperuser(actor, user);
    throw error;
  }
  await kit.auth.store.removeAllForUser(user.id);
  await kit.history.record(actor, user, "deleted");
  await kit.history.retire(user.id);
  return { ok: true };
}

/** What a confirmation page says will happen when these flags go. */
export function consequences(user: User, removed: readonly FlagName[], self: boolean): string[] {
  const lines: string[] = [];
  const [name, they] = self ? ["yourself", "you"] : [user.username, "they"];
  if (removed.includes("active")) lines.push(`deactivate ${name}: ${they} are logged out everywhere and can no longer log in`);
  if (removed.includes("admin")) lines.push(`take the admin flag from ${name}: ${they} are logged out and can no longer use this admin`);
  if (removed.includes("superuser")) lines.push(`take the superuser flag from ${name}: ${they} can no longer change other users`);
  return lines;
}
