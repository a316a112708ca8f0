export { createAdminApp, SUPERUSER_ONLY_MESSAGE, LAST_SUPERUSER_MESSAGE, type AdminOptions } from "./app.js";
export { adminHistoryApp, ADMIN_HISTORY_TABLE } from "./migrations/index.js";
