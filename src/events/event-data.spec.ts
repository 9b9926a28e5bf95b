import { boundedData, MAX_EVENT_STRING } from './event-data';

describe('boundedData', () => {
  it('cuts long strings, long lists, many keys and deep nesting', () => {
    const data = boundedData({
      error: 'e'.repeat(5_000),
      list: Array.from({ length: 60 }, (_, i) => i),
      deep: { a: { b: { c: { d: { e: { f: { g: 1 } } } } } } },
      ok: 42,
    }) as Record<string, any>;
    expect(data.error).toHaveLength(MAX_EVENT_STRING + '… (cut)'.length);
    expect(data.list).toHaveLength(51);
    expect(data.list[50]).toBe('(10 more)');
    expect(data.deep.a.b.c.d.e).toBe('(nested too deep)');
    expect(data.ok).toBe(42);
    expect(
      Object.keys(boundedData(Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`k${i}`, i]))) as object),
    ).toHaveLength(51);
  });
});
