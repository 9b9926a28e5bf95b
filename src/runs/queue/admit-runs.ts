import type { ClaimCandidate } from '../../run-record/run-states.repository';

/**
 * Best runs first, at most `limit` in all, and per agent no more than its free slots
 * (`max_running - running`). Candidates come in queue order.
 */
export function admitRuns<C extends ClaimCandidate>(candidates: C[], limit: number): C[] {
  const taken = new Map<string, number>();
  const admitted: C[] = [];
  for (const c of candidates) {
    if (admitted.length >= limit) break;
    const n = taken.get(c.agent_id) ?? 0;
    if (c.running + n >= c.max_running) continue;
    taken.set(c.agent_id, n + 1);
    admitted.push(c);
  }
  return admitted;
}
