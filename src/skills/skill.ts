import type { MemoryType } from '../memory/memory-type.enum';

export type SideEffects = 'none' | 'idempotent' | 'non_idempotent';
export type JsonSchema = Record<string, unknown>;

/** What a skill declares about itself (docs/architecture.md §1). The planner sees only manifests. */
export interface SkillManifest {
  skill_id: string;
  version: string;
  description: string;
  capabilities: string[];
  input_schema: JsonSchema;
  output_schema: JsonSchema;
  side_effects: SideEffects;
  reversible: boolean;
}

export interface SkillContext {
  /** Aborted when the run is cancelled or its agent stopped: pass it to every I/O call. */
  signal: AbortSignal;
  agentId: string;
  runId: string;
  stepIndex: number;
  /** The agent's memory, searchable; given by the executor so skills do not depend on the memory module. */
  memory: MemoryAccess;
}

export interface RecalledItem {
  id: string;
  memory_type: MemoryType;
  text: string;
  created_at: string;
  rank: number;
}

export interface MemoryAccess {
  /** Ranked full-text search of this agent's memories (best first, at most `limit`). */
  recall(query: string, options: { memoryType?: MemoryType; limit: number }): Promise<RecalledItem[]>;
}

/** A memory the step leaves behind; the executor stores it together with the step's result. */
export interface SkillMemory {
  memory_type: MemoryType;
  text: string;
  meta?: Record<string, unknown>;
}

export interface SkillResult<O = unknown> {
  output: O;
  memory?: SkillMemory;
}

export interface Skill<I = unknown, O = unknown> {
  readonly manifest: SkillManifest;
  execute(input: I, context: SkillContext): Promise<SkillResult<O>>;
  /**
   * Whether this particular call may safely run twice (e.g. an HTTP GET) when the manifest's
   * side_effects is `non_idempotent` for the skill as a whole. Decides what happens to a call a
   * crash interrupted.
   */
  isIdempotent?(input: I): boolean;
}

/** A step failed. `retryable` failures (network, 5xx, 429) may pass if the run is tried again. */
export class SkillError extends Error {
  override readonly name = 'SkillError';
  constructor(
    message: string,
    readonly retryable = false,
  ) {
    super(message);
  }
}

/** DI token: every registered skill instance. */
export const SKILLS = Symbol('SKILLS');
