// A passkey is honoured only while its user row keeps the username it was registered under (see
// credentials.ts): a rename made through piccolo-ts carries the user's passkeys over, in the rename's
// own transaction. A rename made elsewhere (Python) leaves them unusable until re-registered: fail closed.
import type { Kysely } from "kysely";
import { tableColumns } from "../../migrations/schema.js";
import { PASSKEY_TABLE } from "./migrations.js";

/** Moves the user's passkeys to their new username, when the passkeys table exists. */
export async function rebindPasskeys(db: Kysely<any>, userId: number, username: string): Promise<void> {
  if (!(await tableColumns(db, PASSKEY_TABLE))) return;
  await db.updateTable(PASSKEY_TABLE).set({ username }).where("user_id", "=", userId).execute();
}
