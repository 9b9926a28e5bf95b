/** Lifecycle of a run and of its provenance record. Stored as the PostgreSQL enum `run_status`. */
export enum RunStatus {
  Pending = 'pending',
  Running = 'running',
  Completed = 'completed',
  Failed = 'failed',
  Partial = 'partial',
  Cancelled = 'cancelled',
}
