/**
 * Text PostgreSQL can store in text and jsonb: NUL removed, at most `max` characters, and no lone
 * surrogate (one cut in half by the limit, or one that arrived so) — each becomes U+FFFD. Remote
 * servers, mail and models can send either; a write must not fail on them.
 */
export function storable(text: string, max = Infinity): string {
  return text.replaceAll('\u0000', '').slice(0, max).toWellFormed();
}
