import { usageDays } from './usage-days';

describe('usageDays', () => {
  it('groups model usage and run counts by day, oldest first, summing tokens', () => {
    expect(
      usageDays(
        [
          { day: '2026-12-08', provider: 'anthropic', model: 'a', calls: 2, input_tokens: 10, output_tokens: 5 },
          { day: '2026-12-08', provider: 'openai', model: 'o', calls: 1, input_tokens: 1, output_tokens: 1 },
        ],
        [
          { day: '2026-12-07', status: 'failed', runs: 1 },
          { day: '2026-12-08', status: 'completed', runs: 3 },
        ],
      ),
    ).toEqual([
      { day: '2026-12-07', model_tokens: 0, models: [], runs: { failed: 1 } },
      {
        day: '2026-12-08',
        model_tokens: 17,
        models: [
          { provider: 'anthropic', model: 'a', calls: 2, input_tokens: 10, output_tokens: 5 },
          { provider: 'openai', model: 'o', calls: 1, input_tokens: 1, output_tokens: 1 },
        ],
        runs: { completed: 3 },
      },
    ]);
  });
});
