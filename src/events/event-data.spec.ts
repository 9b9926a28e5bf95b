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

  it('never splits a surrogate pair, and leaves nothing jsonb refuses (NUL, lone surrogates)', () => {
    const emojiAtEdge = 'a'.repeat(MAX_EVENT_STRING - 1) + '😀' + 'tail';
    const cut = boundedData(emojiAtEdge) as string;
    expect(cut).toBe('a'.repeat(MAX_EVENT_STRING - 1) + '… (cut)');
    expect(cut.isWellFormed()).toBe(true);
    expect(boundedData('nul\u0000inside')).toBe('nulinside');
    expect(boundedData('lone \uD800 surrogate')).toBe('lone \uFFFD surrogate');
    expect(boundedData({ 'key\u0000': '😀' })).toEqual({ key: '😀' });
    // What comes out is valid JSON text for jsonb: no \u0000, no unpaired \uD8xx escapes.
    expect(JSON.stringify(boundedData({ e: emojiAtEdge, n: '\u0000', l: '\uDC00' }))).not.toMatch(
      /\\u(0000|d[89a-f])/i,
    );
  });
});
