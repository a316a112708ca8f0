// Query plans of the login lookup and of a deep listUsers page, as each engine reports them.
import { CompiledQuery } from "kysely";

const PREFIX = { sqlite: "EXPLAIN QUERY PLAN ", postgres: "EXPLAIN ", mysql: "EXPLAIN " };

async function explain(db, query, analyze = false) {
  const compiled = query.compile();
  const prefix = analyze && db.engine === "postgres" ? "EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) " : PREFIX[db.engine];
  const result = await db.kysely.executeQuery(CompiledQuery.raw(prefix + compiled.sql, [...compiled.parameters]));
  const lines = result.rows.map((row) =>
    db.engine === "sqlite" ? `${"  ".repeat(Number(row.parent) === 0 ? 0 : 1)}${row.detail}` : Object.values(row).join(" "),
  );
  return { sql: compiled.sql, lines };
}

/** The login lookup exactly as BaseUser.login builds it. */
export function loginLookup(db, username) {
  return db.kysely.selectFrom("piccolo_user").select(["id", "username", "password"]).where("username", "=", username);
}

/** listUsers' default query (order by username, then id), for one page. */
export function listPage(db, page, limit = 20) {
  return db.kysely
    .selectFrom("piccolo_user")
    .select(["id", "username", "email", "active", "admin", "first_name", "last_name", "superuser", "last_login"])
    .orderBy("username", "asc")
    .orderBy("id", "asc")
    .limit(limit)
    .offset((page - 1) * limit);
}

/** True when the plan shows an index lookup on the username (not a scan of the table). */
export function usesUsernameIndex(engine, lines) {
  const text = lines.join("\n");
  if (engine === "sqlite") return /SEARCH piccolo_user USING (COVERING )?INDEX \S+ \(username=\?\)/i.test(text);
  if (engine === "mysql") return /\bconst\b|\bref\b/.test(text) && /username/.test(text);
  return /Index (Only )?Scan using \S+ on piccolo_user/i.test(text) && !/Seq Scan/i.test(text);
}

export async function plans(db, username, deepPage) {
  const login = await explain(db, loginLookup(db, username));
  const deep = await explain(db, listPage(db, deepPage), true);
  return { login, loginUsesIndex: usesUsernameIndex(db.engine, login.lines), deepList: deep };
}
