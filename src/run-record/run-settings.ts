import type { AgentApproval } from '../agents/agent-approval.enum';
import type { AgentPlanner } from '../agents/agent-planner.enum';
import type { ModelChoice } from '../models/model.types';

/**
 * What a run used of its agent's settings, frozen when it first starts, so that a later change to
 * the agent does not change what the run's record means (and replay starts from the same place).
 */
export interface RunSettings {
  planner: AgentPlanner;
  instructions: string | null;
  models: ModelChoice | null;
  /** Allow-list at the time; null: every skill this instance had. */
  skills: string[] | null;
  max_steps: number;
  /** Which tool calls wait for a person; absent in runs started before approvals existed. */
  approval?: AgentApproval;
  /** Origins http_call may reach (null: any public one); absent in runs from before egress lists. */
  egress?: string[] | null;
  /** Origins trusted with the run's data; absent in runs from before egress lists. */
  egress_trusted?: string[];
  /** Whether tool results are kept as memories; absent in runs from before the choice. */
  remember_tool_results?: boolean;
}

/** A memory as it was recalled into a run's context. */
export interface RecalledMemory {
  id: string;
  memory_type: string;
  text: string;
  created_at: string;
  /** Absent in contexts recalled before trust was recorded: then only skill_result memories are untrusted. */
  trusted?: boolean;
}

/** Whether a recalled memory is trusted (contexts from before trust was recorded: by its type). */
export function recalledTrusted(memory: RecalledMemory): boolean {
  return memory.trusted ?? memory.memory_type !== 'skill_result';
}
