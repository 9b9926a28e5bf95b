import { isDateTime, parseDateTime } from './date-time';

describe('one date-time rule (RFC 3339)', () => {
  it('accepts every year, fractions, offsets, and T/Z in either case', () => {
    for (const ok of [
      '0018-12-15T14:39:16Z',
      '0999-01-01T00:00:00Z',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999999+14:00',
      '2026-12-01t09:30:00z',
      '2024-02-29T12:00:00-05:30',
      '2016-12-31T23:59:60Z',
    ]) {
      expect(isDateTime(ok)).toBe(true);
    }
  });

  it('refuses impossible dates and other shapes', () => {
    for (const bad of [
      '2026-13-01T00:00:00Z',
      '2026-02-29T00:00:00Z',
      '2026-04-31T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01T00:60:00Z',
      '2026-01-01T00:00:00',
      '2026-01-01',
      '2026-01-01 00:00:00Z',
      '2026-01-01T00:00:00+25:00',
      '10000-01-01T00:00:00Z',
      '',
      'now',
    ]) {
      expect(isDateTime(bad)).toBe(false);
    }
    expect(isDateTime(20261201)).toBe(false);
  });

  it('parses to the instant, a leap second as the end of its minute', () => {
    expect(parseDateTime('2026-12-01t09:30:00z').toISOString()).toBe('2026-12-01T09:30:00.000Z');
    expect(parseDateTime('0018-12-15T14:39:16Z').getUTCFullYear()).toBe(18);
    expect(parseDateTime('2016-12-31T23:59:60Z').toISOString()).toBe('2016-12-31T23:59:59.999Z');
  });
});
