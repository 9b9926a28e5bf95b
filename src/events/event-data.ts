/** Longest string kept in an event's data (errors, goals, results are cut, with a mark). */
export const MAX_EVENT_STRING = 2_000;
/** Deepest nesting kept; deeper values become a mark. */
const MAX_DEPTH = 6;
/** Most array items and object keys kept at each level. */
const MAX_ITEMS = 50;

/**
 * Event data of a bounded size, whatever it was built from: long strings cut, long lists and deep
 * objects shortened. Events go to streams, webhooks and the bus; none of them should carry a whole
 * HTTP body or conversation.
 */
export function boundedData(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return boundedString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '(nested too deep)';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => boundedData(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `(${value.length - MAX_ITEMS} more)`] : items;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const kept = entries.slice(0, MAX_ITEMS).map(([k, v]) => [boundedString(k), boundedData(v, depth + 1)]);
  return Object.fromEntries(
    entries.length > MAX_ITEMS ? [...kept, ['…', `(${entries.length - MAX_ITEMS} more keys)`]] : kept,
  );
}

/**
 * A string jsonb accepts and readers can show: cut at MAX_EVENT_STRING without splitting a
 * surrogate pair, NUL removed (jsonb cannot hold it), a lone surrogate replaced (jsonb refuses it).
 * Model answers and remote errors can carry either; the change's transaction must not fail on them.
 */
function boundedString(value: string): string {
  let text = value;
  if (text.length > MAX_EVENT_STRING) {
    const end = /[\uD800-\uDBFF]/.test(text[MAX_EVENT_STRING - 1]) ? MAX_EVENT_STRING - 1 : MAX_EVENT_STRING;
    text = `${text.slice(0, end)}… (cut)`;
  }
  // eslint-disable-next-line no-control-regex -- NUL is exactly what is removed
  return text.replace(/\u0000/g, '').toWellFormed();
}
