import { storable } from '../../common/storable';
import type { FetchMessageObject } from 'imapflow';
import { unstorableReason } from '../../common/json-body';
import { mailDate, summary } from './mail';

describe('mail text and dates', () => {
  it('drops NUL and mends lone surrogates, leaving pairs alone', () => {
    expect(storable('a\u0000b')).toBe('ab');
    expect(storable('x\uD800y\uDC00')).toBe('x\uFFFDy\uFFFD');
    expect(storable('ok 😀')).toBe('ok 😀');
  });

  it('gives ISO 8601 for a readable date, null for a missing or unreadable one', () => {
    expect(mailDate(new Date('2026-11-25T09:00:00Z'))).toBe('2026-11-25T09:00:00.000Z');
    expect(mailDate('Wed, 25 Nov 2026 09:00:00 +0000')).toBe('2026-11-25T09:00:00.000Z');
    expect(mailDate('the day after tomorrow')).toBeNull();
    expect(mailDate(new Date('nope'))).toBeNull();
    expect(mailDate(undefined)).toBeNull();
    expect(mailDate(false)).toBeNull();
  });

  it('summarises a message with a bad date and NUL in every header as storable text', () => {
    const message = {
      uid: 7,
      seq: 1,
      size: 120,
      flags: new Set(['\\Seen']),
      envelope: {
        date: 'not a date',
        subject: 'a\u0000b',
        messageId: '<x\u0000@y>',
        from: [{ name: 'Da\u0000na', address: 'dana@example.com' }],
        to: [{ address: 'a\u0000@example.com' }],
      },
    } as unknown as FetchMessageObject;
    const s = summary(message);
    expect(s).toEqual({
      uid: 7,
      message_id: '<x@y>',
      from: ['Dana <dana@example.com>'],
      to: ['a@example.com'],
      subject: 'ab',
      date: null,
      seen: true,
      size: 120,
    });
    for (const value of [s.message_id!, s.subject!, ...s.from, ...s.to])
      expect(unstorableReason(value)).toBeUndefined();
  });
});
