import type { Expression, ExpressionBuilder, SqlBool } from "kysely";
import { runTranslated } from "../engine/database-errors.js";
import { sql } from "../engine/kysely.js";
import type { Database } from "../engine/connect.js";
import { ValidationError } from "../errors.js";
import type { BaseUser, ListUsersOptions, UserFilter } from "./base-user.js";
import { usersOf } from "./find-user.js";
import { PUBLIC_COLUMNS, userFromRow, type PublicColumn, type User } from "./user-row.js";
import { validateFlag, validateSearch } from "./validation.js";

const CAMEL_COLUMNS: Record<string, PublicColumn> = {
  firstName: "first_name",
  lastName: "last_name",
  lastLogin: "last_login",
};

/** The listable columns whose values the schema keeps unique (email is NOT NULL, default ''). */
const UNIQUE_COLUMNS: readonly PublicColumn[] = ["id", "username", "email"];

/** A page of users, never with their passwords. Piccolo's rules: limit and page > 0, any column but password. */
export async function listUsers(cls: typeof BaseUser, options?: ListUsersOptions | null): Promise<User[]> {
  const { column, descending } = parseOrderBy(options?.orderBy ?? "username");
  const pageNumber = options?.page ?? 1;
  const limit = options?.limit ?? 20;
  if (!Number.isSafeInteger(pageNumber) || pageNumber < 1) throw new ValidationError("The page number must > 0.", "page");
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError("The limit number must be > 0.", "limit");
  if (!Number.isSafeInteger((pageNumber - 1) * limit)) throw new ValidationError("The page number is too large.", "page");
  const where = userConditions(options);
  const database = await cls.getDatabase();
  const direction = descending ? "desc" : "asc";
  const offset = (pageNumber - 1) * limit;
  const table = cls.tableName;
  const users = usersOf(database);
  return runTranslated(database, async () => {
    if (UNIQUE_COLUMNS.includes(column)) {
      // A deep page skips `offset` rows. Skipping them in a subquery that reads only the (indexed,
      // unique) sort key walks that index alone; then only the page's rows are fetched by key.
      // CROSS JOIN with the page first: SQLite keeps that join order (otherwise it scans the whole
      // table); PostgreSQL and MySQL plan it as the inner join it is.
      const keys = users
        .selectFrom(table)
        .select(sql.ref(column).as("page_key"))
        .where(where(database))
        .orderBy(column, direction)
        .limit(limit)
        .offset(offset);
      const rows = await users
        .selectFrom(keys.as("page"))
        .crossJoin(table)
        .select(PUBLIC_COLUMNS.map((name) => `${table}.${name}` as const))
        .whereRef(`${table}.${column}`, "=", sql.ref("page.page_key") as never)
        .orderBy(`${table}.${column}`, direction)
        .execute();
      return rows.map(userFromRow);
    }
    // No index to walk: the engine sorts either way. The id breaks ties so pages never overlap.
    const rows = await users
      .selectFrom(table)
      .select([...PUBLIC_COLUMNS])
      .where(where(database))
      .orderBy(column, direction)
      .orderBy("id", direction)
      .limit(limit)
      .offset(offset)
      .execute();
    return rows.map(userFromRow);
  });
}

export async function countUsers(cls: typeof BaseUser, options?: Pick<ListUsersOptions, "search" | "filter"> | null): Promise<number> {
  const where = userConditions(options);
  const database = await cls.getDatabase();
  return runTranslated(database, async () => {
    const row = await usersOf(database)
      .selectFrom(cls.tableName)
      .select((eb) => eb.fn.countAll().as("count"))
      .where(where(database))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  });
}

/** The WHERE of a listing (search and flag filters), validated before any query. */
function userConditions(options?: Pick<ListUsersOptions, "search" | "filter"> | null) {
  const search = validateSearch(options?.search);
  const filter: UserFilter = {};
  for (const flag of ["active", "admin", "superuser"] as const) {
    const value = validateFlag(options?.filter?.[flag], flag);
    if (value !== undefined) filter[flag] = value;
  }
  return (database: Database) =>
    (eb: ExpressionBuilder<any, any>): Expression<SqlBool> => {
      const conditions: Expression<SqlBool>[] = [];
      if (search) conditions.push(searchCondition(eb, search));
      for (const [flag, value] of Object.entries(filter)) {
        conditions.push(eb(flag, "=", database.dialect.booleanToDatabase(value)));
      }
      return eb.and(conditions);
    };
}

function parseOrderBy(orderBy: unknown): { column: PublicColumn; descending: boolean } {
  const text = typeof orderBy === "string" ? orderBy : "";
  const descending = text.startsWith("-");
  const name = descending ? text.slice(1) : text;
  const column = CAMEL_COLUMNS[name] ?? name;
  if (!(PUBLIC_COLUMNS as readonly string[]).includes(column)) {
    throw new ValidationError(
      `The order_by argument must be one of the following: ${PUBLIC_COLUMNS.join(", ")}`,
      "order_by",
    );
  }
  return { column: column as PublicColumn, descending };
}

/**
 * `lower(column) LIKE lower(%search%)` over the text columns. The database lowers both sides, so they
 * always agree (SQLite's lower() only knows ASCII; JavaScript's would turn "İ" into two characters).
 * LIKE's wildcards are escaped with `!`, which means the same on every engine.
 */
function searchCondition(eb: ExpressionBuilder<any, any>, search: string): Expression<SqlBool> {
  const pattern = `%${search.replace(/[!%_]/g, (c) => `!${c}`)}%`;
  return eb.or(
    ["username", "email", "first_name", "last_name"].map(
      (column) => sql<SqlBool>`lower(${sql.ref(column)}) like lower(${pattern}) escape '!'`,
    ),
  );
}
