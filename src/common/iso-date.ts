/** A timestamp on the wire: ISO 8601 UTC, or null when it has not happened. */
export function isoOrNull(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
