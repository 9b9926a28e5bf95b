/** Lifecycle of a run (its provenance view reads the same column). Stored as the PostgreSQL enum `run_status`. */
export enum RunStatus {
  Pending = 'pending',
  Running = 'running',
  Completed = 'completed',
  Failed = 'failed',
  Partial = 'partial',
  Cancelled = 'cancelled',
  /** A tool call waits for a person: no lease, no worker slot, not counted against max_concurrent_runs. */
  WaitingApproval = 'waiting_approval',
}
