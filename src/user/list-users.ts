import type { CompiledQuery, Expression, ExpressionBuilder, SqlBool } from "kysely";
import { runTranslated } from "../engine/database-errors.js";
import { sql } from "../engine/kysely.js";
import type { Database } from "../engine/connect.js";
import { ValidationError } from "../errors.js";
import { openUserDatabase, type UserSettings } from "./settings.js";
import type { ListUsersOptions, UserFilter } from "./user-types.js";
import { usersOf } from "./find-user.js";
import { AUTHENTICATOR_SECRET_TABLE } from "./mfa/migrations.js";
import { PUBLIC_COLUMNS, userFromRow, type PublicColumn, type User } from "./user-row.js";
import { validateFlag, validateSearch } from "./validation.js";

const CAMEL_COLUMNS: Record<string, PublicColumn> = {
  firstName: "first_name",
  lastName: "last_name",
  lastLogin: "last_login",
};

/** The listable columns whose values the schema keeps unique (email is NOT NULL, default ''). */
const UNIQUE_COLUMNS: readonly PublicColumn[] = ["id", "username", "email"];

/**
 * From this many rows skipped on, a page sorted by a unique column is read by the index walk below;
 * shallower pages by a plain LIMIT/OFFSET, which costs less when little is skipped (the walk's join
 * is pure overhead on page 1). Measured with 100 000 users (bench/list-users.mjs): on PostgreSQL the
 * two cost the same at offset ~500 and the walk is 2× faster at 1000; on SQLite they meet at ~1000.
 */
export const INDEX_WALK_FROM_OFFSET = 500;

/** How a page is read: chosen by its depth, or forced (the benchmark compares the two). */
export type PageStrategy = "auto" | "plain" | "walk";

/**
 * The compiled SQL of listings without a search or filter, per database and shape (table, column,
 * direction, strategy): only LIMIT and OFFSET differ between two such calls, so Kysely builds and
 * compiles each shape once (building and compiling were most of what page 1 cost beyond the query).
 */
const compiledListings = new WeakMap<Database, Map<string, CompiledQuery<unknown>>>();

/** A page of users, never with their passwords. Piccolo's rules: limit and page > 0, any column but password. */
export async function listUsers(
  settings: Pick<UserSettings, "tableName" | "database">,
  options?: ListUsersOptions | null,
  strategy: PageStrategy = "auto",
): Promise<User[]> {
  const { column, descending } = parseOrderBy(options?.orderBy ?? "username");
  const pageNumber = options?.page ?? 1;
  const limit = options?.limit ?? 20;
  if (!Number.isSafeInteger(pageNumber) || pageNumber < 1) throw new ValidationError("The page number must > 0.", "page");
  if (!Number.isSafeInteger(limit) || limit < 1) throw new ValidationError("The limit number must be > 0.", "limit");
  if (!Number.isSafeInteger((pageNumber - 1) * limit)) throw new ValidationError("The page number is too large.", "page");
  const { where, conditional } = userConditions(options, settings.tableName);
  const database = await openUserDatabase(settings);
  const direction = descending ? "desc" : "asc";
  const offset = (pageNumber - 1) * limit;
  const table = settings.tableName;
  const unique = UNIQUE_COLUMNS.includes(column);
  const walk = unique && (strategy === "walk" || (strategy === "auto" && offset >= INDEX_WALK_FROM_OFFSET));
  const users = usersOf(database);

  const build = () => {
    if (walk) {
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
      return users
        .selectFrom(keys.as("page"))
        .crossJoin(table)
        .select(PUBLIC_COLUMNS.map((name) => `${table}.${name}` as const))
        .whereRef(`${table}.${column}`, "=", sql.ref("page.page_key") as never)
        .orderBy(`${table}.${column}`, direction)
        .compile();
    }
    // A shallow page, or no index to walk (the engine sorts either way). On a column that is not
    // unique the id breaks ties, so pages never overlap.
    let query = users.selectFrom(table).select([...PUBLIC_COLUMNS]).where(where(database)).orderBy(column, direction);
    if (!unique) query = query.orderBy("id", direction);
    return query.limit(limit).offset(offset).compile();
  };

  let compiled: CompiledQuery<unknown>;
  if (conditional) {
    compiled = build();
  } else {
    let shapes = compiledListings.get(database);
    if (!shapes) compiledListings.set(database, (shapes = new Map()));
    const shape = `${table}\0${column}\0${direction}\0${walk ? "walk" : "plain"}`;
    const known = shapes.get(shape);
    if (known) {
      compiled = { ...known, parameters: [limit, offset] };
    } else {
      compiled = build();
      // Kept only when LIMIT and OFFSET are all it binds, in that order.
      const [first, second, ...rest] = compiled.parameters;
      if (limit !== offset && first === limit && second === offset && rest.length === 0) shapes.set(shape, compiled);
    }
  }
  return runTranslated(database, async () => {
    const { rows } = await users.executeQuery(compiled);
    return (rows as Parameters<typeof userFromRow>[0][]).map(userFromRow);
  });
}

export async function countUsers(settings: Pick<UserSettings, "tableName" | "database">, options?: Pick<ListUsersOptions, "search" | "filter"> | null): Promise<number> {
  const { where } = userConditions(options, settings.tableName);
  const database = await openUserDatabase(settings);
  return runTranslated(database, async () => {
    const row = await usersOf(database)
      .selectFrom(settings.tableName)
      .select((eb) => eb.fn.countAll().as("count"))
      .where(where(database))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  });
}

/** The WHERE of a listing (search and flag filters), validated before any query. */
function userConditions(options: Pick<ListUsersOptions, "search" | "filter"> | null | undefined, table: string): {
  where: (database: Database) => (eb: ExpressionBuilder<any, any>) => Expression<SqlBool>;
  /** Whether there is any condition (else the WHERE binds nothing). */
  conditional: boolean;
} {
  const search = validateSearch(options?.search);
  const filter: UserFilter = {};
  for (const flag of ["active", "admin", "superuser"] as const) {
    const value = validateFlag(options?.filter?.[flag], flag);
    if (value !== undefined) filter[flag] = value;
  }
  const mfa = validateFlag(options?.filter?.mfa, "mfa");
  const where = (database: Database) =>
    (eb: ExpressionBuilder<any, any>): Expression<SqlBool> => {
      const conditions: Expression<SqlBool>[] = [];
      if (search) conditions.push(searchCondition(eb, search));
      for (const [flag, value] of Object.entries(filter)) {
        conditions.push(eb(flag, "=", database.dialect.booleanToDatabase(value)));
      }
      if (mfa !== undefined) {
        // piccolo_api's is_user_enrolled: some row of the user that is not revoked.
        const enrolled = eb.exists(
          eb
            .selectFrom(AUTHENTICATOR_SECRET_TABLE)
            .select(sql.lit(1).as("one"))
            .whereRef(`${AUTHENTICATOR_SECRET_TABLE}.user_id`, "=", sql.ref(`${table}.id`) as never)
            .where(`${AUTHENTICATOR_SECRET_TABLE}.revoked_at`, "is", null),
        );
        conditions.push(mfa ? enrolled : eb.not(enrolled));
      }
      return eb.and(conditions);
    };
  return { where, conditional: Boolean(search) || Object.keys(filter).length > 0 || mfa !== undefined };
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
