/** State of one model call of a run. Stored as the PostgreSQL enum `model_call_status`. */
export enum ModelCallStatus {
  Running = 'running',
  Succeeded = 'succeeded',
  Failed = 'failed',
  Cancelled = 'cancelled',
}
