/** How a replay runs (PostgreSQL enum `replay_mode`). */
export enum ReplayMode {
  /** Model answers and tool results served from the original's record: no network, no cost, no side effect. */
  Recorded = 'recorded',
  /** The model called for real (with overrides); tool calls that match the record served from it. */
  ModelLive = 'model_live',
  /** The original's settings and context, every call made afresh. */
  Live = 'live',
}
