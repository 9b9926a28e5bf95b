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
  if (typeof value === 'string') {
    return value.length > MAX_EVENT_STRING ? `${value.slice(0, MAX_EVENT_STRING)}… (cut)` : value;
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '(nested too deep)';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => boundedData(v, depth + 1));
    return value.length > MAX_ITEMS ? [...items, `(${value.length - MAX_ITEMS} more)`] : items;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const kept = entries.slice(0, MAX_ITEMS).map(([k, v]) => [k, boundedData(v, depth + 1)]);
  return Object.fromEntries(
    entries.length > MAX_ITEMS ? [...kept, ['…', `(${entries.length - MAX_ITEMS} more keys)`]] : kept,
  );
}
