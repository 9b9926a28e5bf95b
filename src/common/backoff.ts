/** The wait before attempt `attempt + 1`: doubling from `baseMs` after the first, capped at `maxMs` (callers add their own jitter). */
export function cappedExponential(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(baseMs * 2 ** Math.min(Math.max(attempt - 1, 0), 30), maxMs);
}
