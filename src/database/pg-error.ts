/**
 * The PostgreSQL error behind a failed query (TypeORM keeps it as `driverError`; pg's own errors
 * carry the fields themselves): its SQLSTATE code and, for a violated constraint, its name.
 */
export function pgError(error: unknown): { code?: string; constraint?: string } {
  const e = error as { driverError?: { code?: string; constraint?: string }; code?: string; constraint?: string };
  return e?.driverError ?? { code: typeof e?.code === 'string' ? e.code : undefined, constraint: e?.constraint };
}
