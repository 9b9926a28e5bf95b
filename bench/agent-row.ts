/** The agent row and its JSON, shared by the benchmark's reference servers (same shape as AOS). */
export interface AgentRow {
  id: string;
  name: string;
  status: string;
  max_concurrent_runs: number;
  planner: string;
  instructions: string | null;
  models: Record<string, string> | null;
  skills: string[] | null;
  max_steps: number;
  model_calls: string;
  input_tokens: string;
  output_tokens: string;
  created_at: Date;
  updated_at: Date;
}

export const AGENT_COLUMNS =
  'id, name, status, max_concurrent_runs, planner, instructions, models, skills, max_steps, ' +
  'model_calls, input_tokens, output_tokens, created_at, updated_at';

export const agentJson = (r: AgentRow) => ({
  id: r.id,
  name: r.name,
  status: r.status,
  max_concurrent_runs: r.max_concurrent_runs,
  planner: r.planner,
  instructions: r.instructions,
  models: r.models,
  skills: r.skills,
  max_steps: r.max_steps,
  usage: {
    model_calls: Number(r.model_calls),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
  },
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

/** The same INSERT as AOS's: the settings columns too, as AOS resolves them with a model configured. */
export const AGENT_INSERT = `INSERT INTO agents (name, max_concurrent_runs, planner, instructions, models, skills, max_steps)
  VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${AGENT_COLUMNS}`;
export const AGENT_DEFAULTS = ['llm', null, null, null, 20];
