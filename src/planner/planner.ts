import type { SkillManifest } from '../skills/skill';

export interface PlanStep {
  skill: string;
  input: Record<string, unknown>;
}

export interface Plan {
  /** Which planner made it, e.g. `rule-based@1`; recorded in provenance. */
  planner: string;
  steps: PlanStep[];
}

export interface PlanningContext {
  agentId: string;
  runId: string;
  /** The skills available; a planner must only plan steps for these. */
  skills: SkillManifest[];
}

/** The planner port: today rule-based, later LLM planners (Anthropic, then OpenAI) behind it. */
export interface Planner {
  readonly name: string;
  plan(goal: string, context: PlanningContext): Promise<Plan>;
}

export const PLANNER = Symbol('PLANNER');
