import type { ClaimCandidate } from '../../run-record/run-states.repository';

/**
 * Best runs first, at most `limit` in all, per agent no more than its free slots
 * (`max_running - running`), and per tenant with a runs_in_flight limit no more than its free
 * slots (`tenant_max_running - tenant_running`). Candidates come in queue order.
 */
export function admitRuns<C extends ClaimCandidate>(candidates: C[], limit: number): C[] {
  const taken = new Map<string, number>();
  const takenByTenant = new Map<string, number>();
  const admitted: C[] = [];
  for (const c of candidates) {
    if (admitted.length >= limit) break;
    const n = taken.get(c.agent_id) ?? 0;
    if (c.running + n >= c.max_running) continue;
    const t = takenByTenant.get(c.tenant_id) ?? 0;
    if (c.tenant_max_running !== null && c.tenant_running + t >= c.tenant_max_running) continue;
    taken.set(c.agent_id, n + 1);
    takenByTenant.set(c.tenant_id, t + 1);
    admitted.push(c);
  }
  return admitted;
}
