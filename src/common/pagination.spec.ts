import { decodeCursor, encodeCursor } from './pagination';

describe('page cursors', () => {
  it('round-trips a keyset', () => {
    const keyset = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '0b7e2f7c-5a1d-4c4e-8f3a-9d2b6c1e0a11' };
    expect(decodeCursor(encodeCursor(keyset))).toEqual(keyset);
  });

  it.each(['', 'not a cursor', Buffer.from('2026-01-01|nope').toString('base64url'), 'x'.repeat(300)])(
    'rejects %j',
    (cursor) => {
      expect(decodeCursor(cursor)).toBeUndefined();
    },
  );
});
