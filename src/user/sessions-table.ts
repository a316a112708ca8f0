/**
 * piccolo_api's session table. Named here, in the user layer, because ending a user's sessions (a
 * password change, deactivation, deletion) is part of changing the user; the session layer builds on it.
 */
export const SESSIONS_TABLE = "sessions";
