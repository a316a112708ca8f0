// Loaded with `node --import` into a `piccolo` process by test/faults.test.ts. When PICCOLO_FAULT_FREEZE_AT
// is set (a regular expression), the process freezes for good just before SQLite prepares a statement
// that matches it, after writing "FROZEN" on stderr: the test then kills it at that exact point, inside
// the open transaction. (SQLite serves one writer, so a lock held by the test cannot stop the process
// between a migration's DDL and its `migration` row as it does on PostgreSQL and MySQL.)
import { writeSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";

const at = process.env.PICCOLO_FAULT_FREEZE_AT;
if (at) {
  const pattern = new RegExp(at, "i");
  const prepare = BetterSqlite3.prototype.prepare;
  BetterSqlite3.prototype.prepare = function (this: BetterSqlite3.Database, source: string) {
    if (pattern.test(source)) {
      writeSync(2, "FROZEN\n");
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0); // blocks this thread forever
    }
    return prepare.call(this, source);
  } as typeof prepare;
}
