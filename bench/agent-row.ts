import { randomUUID } from 'node:crypto';
import type { ReferenceActor } from './reference-auth';

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
  approval: string;
  egress: string[] | null;
  egress_trusted: string[];
  remember_tool_results: boolean;
  model_calls: string;
  input_tokens: string;
  output_tokens: string;
  created_by: ReferenceActor | null;
  created_at: Date;
  updated_at: Date;
}

export const AGENT_COLUMNS =
  'id, name, status, max_concurrent_runs, planner, instructions, models, skills, max_steps, approval, ' +
  'egress, egress_trusted, remember_tool_results, model_calls, input_tokens, output_tokens, created_by, created_at, updated_at';

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
  approval: r.approval,
  egress: r.egress,
  egress_trusted: r.egress_trusted,
  remember_tool_results: r.remember_tool_results,
  usage: {
    model_calls: Number(r.model_calls),
    input_tokens: Number(r.input_tokens),
    output_tokens: Number(r.output_tokens),
  },
  created_by: r.created_by,
  created_at: r.created_at.toISOString(),
  updated_at: r.updated_at.toISOString(),
});

/**
 * The same statement as AOS's: the agent (settings columns too, as AOS resolves them with a model
 * configured) and its agent.created event, in one statement. The event goes to `bench_events`, a
 * copy of the events table with the same indexes (bench.ts makes it): AOS's sequencer must not
 * number, and so slow down, the references' events during their rounds.
 */
export const AGENT_INSERT = `WITH main AS (
    INSERT INTO agents (tenant_id, id, name, max_concurrent_runs, planner, instructions, models, skills, max_steps,
                        approval, egress, egress_trusted, remember_tool_results, created_by)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING ${AGENT_COLUMNS}
  ), appended AS (
    INSERT INTO bench_events (tenant_id, agent_id, run_id, type, data, actor)
    SELECT e.tenant_id, e.agent_id, e.run_id, e.type, e.data, $20::jsonb
      FROM unnest($15::uuid[], $16::uuid[], $17::uuid[], $18::varchar[], $19::jsonb[])
        AS e(tenant_id, agent_id, run_id, type, data)
  ) SELECT * FROM main`;

/** The tenant is the credential's (the references run without row-level security, so they name it). */
export function agentInsertParams(name: string, maxConcurrentRuns: number, actor: ReferenceActor): unknown[] {
  const id = randomUUID();
  const data = {
    name,
    planner: 'llm',
    max_concurrent_runs: maxConcurrentRuns,
    max_steps: 20,
    skills: null,
    approval: 'side_effects',
    egress: null,
    egress_trusted: [],
    remember_tool_results: true,
  };
  const actorJson = JSON.stringify(actor);
  return [
    actor.tenant_id,
    id,
    name,
    maxConcurrentRuns,
    'llm',
    null,
    null,
    null,
    20,
    'side_effects',
    null,
    [],
    true,
    actorJson,
    [actor.tenant_id],
    [id],
    [null],
    ['agent.created'],
    [JSON.stringify(data)],
    actorJson,
  ];
}
