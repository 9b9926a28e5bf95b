import { exceedsJsonDepth, findUnstorableString, MAX_JSON_DEPTH, parseJsonBody, unstorableReason } from './json-body';

describe('exceedsJsonDepth', () => {
  const nested = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('allows nesting up to the limit and refuses one level more', () => {
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(exceedsJsonDepth(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
  });

  it('refuses a 20,000-level body without recursion', () => {
    expect(exceedsJsonDepth('{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000), MAX_JSON_DEPTH)).toBe(true);
  });

  it('ignores brackets inside strings, escaped quotes included', () => {
    const text = JSON.stringify({ name: '[[[[{{{{ "\\" [[[[' + '['.repeat(100) });
    expect(exceedsJsonDepth(text, 2)).toBe(false);
  });

  it('counts siblings at their own depth, not cumulatively', () => {
    expect(exceedsJsonDepth(JSON.stringify([[1], [2], [3], { a: [4] }]), 3)).toBe(false);
  });
});

describe('unstorable strings', () => {
  it('finds NUL and unpaired surrogates, accepts paired ones', () => {
    expect(unstorableReason('a\u0000b')).toMatch(/NUL/);
    expect(unstorableReason('x\uD800')).toMatch(/surrogate/);
    expect(unstorableReason('\uDC00x')).toMatch(/surrogate/);
    expect(unstorableReason('ok 😀 \u00e9')).toBeUndefined();
  });

  it('names the dotted path of the first offending value or key', () => {
    expect(findUnstorableString({ name: 'ok', meta: { list: ['fine', 'bad\u0000'] } })).toEqual({
      field: 'meta.list.1',
      reason: 'must not contain NUL characters',
    });
    expect(findUnstorableString({ meta: { ['k\uD801']: 1 } })).toEqual({
      field: 'meta.k\uD801',
      reason: expect.stringMatching(/^key must not contain unpaired/),
    });
    expect(findUnstorableString('\u0000')).toEqual({ field: 'body', reason: expect.any(String) });
    expect(findUnstorableString({ a: 1, b: [true, null, { c: 'fine' }] })).toBeUndefined();
  });
});

describe('parseJsonBody', () => {
  it('parses JSON, and says why a body is refused', () => {
    expect(parseJsonBody('{"a":[1,"x"]}')).toEqual({ a: [1, 'x'] });
    expect(() => parseJsonBody('{"a":')).toThrow(/^Body is not valid JSON: /);
    expect(() => parseJsonBody('  ')).toThrow(/cannot be empty/);
    expect(() => parseJsonBody('{"__proto__":{"polluted":true}}')).toThrow(/has a __proto__ key, which is refused/);
    expect(() => parseJsonBody('{"a":{"__proto__":{}}}')).toThrow(/__proto__/);
  });

  it('leaves a constructor.prototype pair to the DTO whitelist, as Fastify does', () => {
    expect(parseJsonBody('{"constructor":{"prototype":{"x":1}}}')).toEqual({ constructor: { prototype: { x: 1 } } });
  });
});
