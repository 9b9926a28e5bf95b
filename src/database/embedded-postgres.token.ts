/** DI token for the EmbeddedPostgresServer in use, or null when DATABASE_URL points elsewhere. */
export const EMBEDDED_POSTGRES = Symbol('EMBEDDED_POSTGRES');
