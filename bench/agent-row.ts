/** The agent row and its JSON, shared by the benchmark's reference servers (same shape as AOS). */
export interface AgentRow {
  id: string;
  name: string;
  status: string;
  max_concurrent_runs: number;
  created_at: Date;
  updated_at: Date;
}

export const AGENT_COLUMNS = 'id, name, status, max_concurrent_runs, created_at, updated_at';

export const agentJson = (r: AgentRow) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  max_concurrent_runs: r.max_concurrent_runs,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});
