/** When outside content first entered a run's context, and what brought it. */
export interface Taint {
  /** The step whose result (or, at 0, whose recalled memories) brought it in. */
  step: number;
  /** The skill that read it, or `recalled_memory` for an untrusted memory recalled into the context. */
  skill: string;
  at: string;
  /** Where it came from, as the model was told (an origin, a mailbox, a memory id). */
  source: string | null;
}

/** The skill name a taint carries when an untrusted memory was recalled into the run's context. */
export const RECALLED_MEMORY = 'recalled_memory';
