import { isRealDay, mergeLimits, nextUtcDay, tokenBudget, TOKEN_LIMIT_REASON, utcDay } from './tenant-limits';

describe('tenant limits', () => {
  it('merges a change: given replaces, null removes, absent keeps', () => {
    expect(
      mergeLimits({ agents: 3, runs_in_flight: 2, on_token_limit: 'fail' }, { agents: 5, runs_in_flight: null }),
    ).toEqual({ agents: 5, on_token_limit: 'fail' });
  });

  it('days are UTC', () => {
    const late = new Date('2026-12-08T23:59:59.999Z');
    expect(utcDay(late)).toBe('2026-12-08');
    expect(nextUtcDay(late).toISOString()).toBe('2026-12-09T00:00:00.000Z');
    expect(nextUtcDay(new Date('2026-12-31T00:00:00Z')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
  });

  it('knows real days from days the calendar lacks', () => {
    for (const day of ['2026-12-08', '2028-02-29', '2026-01-31']) expect([day, isRealDay(day)]).toEqual([day, true]);
    for (const day of ['2026-02-29', '2026-02-30', '2026-04-31', '2026-13-01', '2026-00-10', '26-12-08', 'x'])
      expect([day, isRealDay(day)]).toEqual([day, false]);
  });

  it('lets a call start below the limit and without one', () => {
    const now = new Date('2026-12-08T10:00:00Z');
    expect(tokenBudget({}, 10 ** 9, now)).toEqual({ over: false });
    expect(tokenBudget({ model_tokens_per_day: null }, 10 ** 9, now)).toEqual({ over: false });
    expect(tokenBudget({ model_tokens_per_day: 100 }, 99, now)).toEqual({ over: false });
  });

  it('at the limit: waits until the next UTC day by default, or fails, naming the limit', () => {
    const now = new Date('2026-12-08T10:00:00Z');
    const wait = tokenBudget({ model_tokens_per_day: 100 }, 100, now);
    expect(wait).toMatchObject({ over: true, action: 'wait', until: new Date('2026-12-09T00:00:00Z'), limit: 100 });
    expect(wait.over && wait.reason).toContain(TOKEN_LIMIT_REASON);
    expect(wait.over && wait.reason).toContain('100 of 100 model_tokens_per_day');
    const fail = tokenBudget({ model_tokens_per_day: 100, on_token_limit: 'fail' }, 250, now);
    expect(fail).toMatchObject({ over: true, action: 'fail' });
    expect(fail.over && fail.reason).not.toContain('waiting');
  });
});
