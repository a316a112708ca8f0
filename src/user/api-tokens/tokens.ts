// API tokens in piccolo_api's `token_auth` table (`token`, `"user"`). piccolo-ts keeps its rows readable
// by Python but does better: many tokens per user, refused for inactive users, looked up by index, never a
// shared DEFAULT, and by default stored as a SHA-256 digest so a leaked table holds no usable token.
import { createHash, randomBytes } from "node:crypto";
import { runTranslated } from "../../engine/database-errors.js";
import { ConfigError, UserNotFoundError, ValidationError } from "../../errors.js";
import { BaseUser } from "../base-user.js";
import type { UserRef } from "../find-user.js";
import type { User } from "../user-row.js";
import { TOKEN_AUTH_TABLE } from "./migrations.js";

/**
 * How tokens are stored: `"digest"` (default) keeps SHA-256 hex digests, so the table alone opens
 * nothing; `"piccolo"` keeps the token itself, as piccolo_api does, so a Python app on the same table
 * accepts our tokens and we accept its. Each mode ignores the other's rows.
 */
export type TokenStorage = "digest" | "piccolo";

export interface ApiTokenOptions {
  /** Default `"digest"`. */
  tokens?: TokenStorage;
  /** The user class (table and database); default BaseUser. */
  users?: typeof BaseUser;
}

/** A token as listed: never the token itself. */
export interface ApiTokenInfo {
  id: number;
  userId: number;
}

// Our tokens: 32 random bytes, base64url. Python's: UUIDs. Anything else is not looked up.
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$|^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Creates, lists, revokes and checks API tokens (sent as `Authorization: Bearer <token>`).
 *
 * @example
 * ```ts
 * const tokens = new ApiTokens();
 * const token = await tokens.create("bob");  // shown once
 * const user = await tokens.authenticate(token); // User, or null (unknown, revoked, inactive user)
 * ```
 */
export class ApiTokens {
  readonly storage: TokenStorage;
  readonly users: typeof BaseUser;

  constructor(options: ApiTokenOptions = {}) {
    const storage = options.tokens ?? "digest";
    if (storage !== "digest" && storage !== "piccolo") throw new ConfigError('tokens must be "digest" or "piccolo".');
    this.storage = storage;
    this.users = options.users ?? BaseUser;
  }

  /** The value the `token` column holds for `token`. */
  stored(token: string): string {
    return this.storage === "piccolo" ? token : createHash("sha256").update(token, "utf8").digest("hex");
  }

  /** A new token for the user: answered once, never readable again. */
  async create(userRef: UserRef): Promise<string> {
    const user = await this.user(userRef);
    const token = randomBytes(32).toString("base64url");
    const database = await this.users.getDatabase();
    await runTranslated(database, () => database.kysely.insertInto(TOKEN_AUTH_TABLE).values({ token: this.stored(token), user: user.id }).execute(), {
      app: "token_auth",
    });
    return token;
  }

  /** The user's tokens (ids only). */
  async list(userRef: UserRef): Promise<ApiTokenInfo[]> {
    const user = await this.user(userRef);
    const database = await this.users.getDatabase();
    const rows = await runTranslated(database, () => database.kysely.selectFrom(TOKEN_AUTH_TABLE).select(["id", "user"]).where("user", "=", user.id).orderBy("id").execute(), {
      app: "token_auth",
    });
    return rows.map((row: Record<string, unknown>) => ({ id: Number(row.id), userId: Number(row.user) }));
  }

  /** Deletes one token of the user (by id) or all of them; answers how many went. */
  async revoke(userRef: UserRef, tokenId?: number): Promise<number> {
    const user = await this.user(userRef);
    const database = await this.users.getDatabase();
    let query = database.kysely.deleteFrom(TOKEN_AUTH_TABLE).where("user", "=", user.id);
    if (tokenId !== undefined) query = query.where("id", "=", tokenId);
    const result = await runTranslated(database, () => query.executeTakeFirst(), { app: "token_auth" });
    return Number(result.numDeletedRows);
  }

  /**
   * The active user a token belongs to, or null: unknown or malformed tokens, tokens of inactive users,
   * and a token that several users' rows share (piccolo_api's baked-in DEFAULT) are all refused.
   */
  async authenticate(token: unknown): Promise<User | null> {
    if (typeof token !== "string" || !TOKEN_PATTERN.test(token)) return null;
    const database = await this.users.getDatabase();
    const rows = await runTranslated(database, () => database.kysely.selectFrom(TOKEN_AUTH_TABLE).select("user").where("token", "=", this.stored(token)).limit(2).execute(), {
      app: "token_auth",
    });
    const owners = new Set(rows.map((row: Record<string, unknown>) => row.user));
    if (owners.size !== 1) return null;
    const owner = [...owners][0];
    if (owner === null || owner === undefined) return null;
    const user = await this.users.getUser(Number(owner));
    return user && user.active ? user : null;
  }

  private async user(ref: UserRef): Promise<User> {
    const user = await this.users.getUser(ref);
    if (!user) throw new UserNotFoundError(ref);
    return user;
  }
}
