import type { ConnectionKind } from '../protocols/connection-kind.enum';
import type { ResolvedConnection } from '../protocols/resolved-connection';
import type { MemoryType } from './memory-type.enum';

/** What calling a skill does to the world: the one list the manifest, the DTO and the OpenAPI `SideEffects` use. */
export const SIDE_EFFECTS = ['none', 'idempotent', 'non_idempotent'] as const;
export type SideEffects = (typeof SIDE_EFFECTS)[number];
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
  /**
   * Whether its calls that have side effects change something outside AOS (mail sent, an event
   * booked, a remote resource written). Such calls wait for a person under the `side_effects`
   * approval policy; memory_write's effects stay inside AOS.
   */
  external_effects: boolean;
  /**
   * Whether its output (or its error, which may carry a server's words) is content from outside
   * AOS: a page, a mail, a calendar. Such a result taints the run (docs: Security model).
   */
  outside_content: boolean;
  /** Whether a call can carry data out of AOS (a request, a mail, an event): once tainted, it waits for a person. */
  egress: boolean;
  /** The kind of connection the skill's `connection` input names, when it takes one. */
  connection_kind?: ConnectionKind;
}

export interface SkillContext {
  /** Aborted when the run is cancelled or its agent stopped: pass it to every I/O call. */
  signal: AbortSignal;
  /** Origins the call may reach (redirects included); null: any public origin. */
  egress: string[] | null;
  agentId: string;
  runId: string;
  stepIndex: number;
  /** The agent's memory, searchable; given by the executor so skills do not depend on the memory module. */
  memory: MemoryAccess;
  /** The agent's connections, opened for this call only; given by the executor. */
  connections: ConnectionAccess;
}

export interface ConnectionAccess {
  /**
   * The agent's connection `name`, which must be of `kind`, with its secret opened. Throws a
   * SkillError naming what is wrong when there is no such connection. What the skill does with
   * it must never put the secret into an output or an error.
   */
  get<K extends ConnectionKind>(name: string, kind: K): Promise<ResolvedConnection<K>>;
}

export interface RecalledItem {
  id: string;
  memory_type: MemoryType;
  text: string;
  created_at: string;
  rank: number;
  /** False for memories from outside AOS or from a tainted run: reading one taints the reader. */
  trusted: boolean;
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
  /**
   * A memory the call leaves: what a tool brought back (kept unless the agent chose
   * `remember_tool_results: false`), or, with `written`, a memory the call was asked to store.
   */
  memory?: SkillMemory & { written?: boolean };
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
  /** This call's side effects when they depend on the input (http_call: a GET has none). */
  sideEffectsOf?(input: I): SideEffects;
  /**
   * Whether this output carries content from outside AOS although the manifest's `outside_content`
   * is false (memory_recall returning an untrusted memory).
   */
  untrustedOutput?(output: O): boolean;
  /** Problems the input schema cannot express (a GET with a body), as the model should read them. */
  inputProblem?(input: I): string | undefined;
  /** The origins the call reaches (checked against the agent's egress lists before it is made). */
  originsOf?(input: I): string[];
  /** Where the result comes from, as the model is told (an origin, a mailbox); default: the skill id. */
  sourceOf?(input: I): string;
}

/**
 * A step failed. `retryable` failures (network, 5xx, 429) may pass if the run is tried again.
 * `outsideText`: the message carries words from outside AOS (a server's answer), so the failure
 * taints the run like an output would; a message AOS wrote itself does not.
 */
export class SkillError extends Error {
  override readonly name = 'SkillError';
  constructor(
    message: string,
    readonly retryable = false,
    readonly outsideText = false,
  ) {
    super(message);
  }
}

/** DI token: every registered skill instance. */
export const SKILLS = Symbol('SKILLS');
