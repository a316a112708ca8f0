// `piccolo-ts/admin`: the users admin as a Hono app. A curated list of re-exports.
export { createAdminApp, SUPERUSER_ONLY_MESSAGE, LAST_SUPERUSER_MESSAGE, type AdminOptions } from "./app.js";
