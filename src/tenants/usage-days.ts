import type { ModelUsageRow } from '../limits/usage.repository';
import type { RunCountRow } from '../run-record/runs.repository';
import type { TenantUsageDayDto } from './dto/usage.dto';

/** The usage rows, by day: only days with model calls or runs, oldest first. */
export function usageDays(models: ModelUsageRow[], runs: RunCountRow[]): TenantUsageDayDto[] {
  const days = new Map<string, TenantUsageDayDto>();
  const dayOf = (day: string) => {
    let entry = days.get(day);
    if (!entry) days.set(day, (entry = { day, model_tokens: 0, models: [], runs: {} }));
    return entry;
  };
  for (const m of models) {
    const entry = dayOf(m.day);
    entry.models.push({
      provider: m.provider,
      model: m.model,
      calls: m.calls,
      input_tokens: m.input_tokens,
      output_tokens: m.output_tokens,
    });
    entry.model_tokens += m.input_tokens + m.output_tokens;
  }
  for (const r of runs) dayOf(r.day).runs[r.status] = r.runs;
  return [...days.values()].sort((a, b) => a.day.localeCompare(b.day));
}
