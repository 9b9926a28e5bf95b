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
}

/** A memory as it was recalled into a run's context. */
export interface RecalledMemory {
  id: string;
  memory_type: string;
  text: string;
  created_at: string;
}
