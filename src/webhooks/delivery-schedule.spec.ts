import { afterFailure, isDelivered, retryDelay } from './delivery-schedule';

describe('delivery schedule', () => {
  const policy = { baseMs: 5_000, maxMs: 3_600_000, giveUpMs: 86_400_000 };
  const now = new Date('2026-11-27T12:00:00Z');

  it('backs off exponentially from the base, capped, with bounded jitter', () => {
    expect(retryDelay(1, policy, 0.5)).toBe(5_000);
    expect(retryDelay(2, policy, 0.5)).toBe(10_000);
    expect(retryDelay(5, policy, 0.5)).toBe(80_000);
    expect(retryDelay(40, policy, 0.5)).toBe(3_600_000);
    expect(retryDelay(1, policy, 0)).toBe(4_000);
    expect(retryDelay(1, policy, 0.999999)).toBe(6_000);
  });

  it('retries until the next attempt would fall after the give-up time', () => {
    const young = { attempts: 3, createdAt: new Date(now.getTime() - 60_000) };
    expect(afterFailure(young, 500, now, policy, 0.5)).toEqual({ kind: 'retry', at: new Date(now.getTime() + 20_000) });
    const old = { attempts: 30, createdAt: new Date(now.getTime() - policy.giveUpMs + 60_000) };
    expect(afterFailure(old, null, now, policy, 0.5)).toMatchObject({ kind: 'give_up' });
  });

  it('disables on 410 Gone whatever the attempt', () => {
    expect(afterFailure({ attempts: 1, createdAt: now }, 410, now, policy, 0.5)).toEqual({ kind: 'disable' });
  });

  it('counts any 2xx as delivered, and nothing else', () => {
    expect([200, 201, 204, 299].every(isDelivered)).toBe(true);
    expect([199, 301, 304, 400, 410, 500].some(isDelivered)).toBe(false);
  });
});
