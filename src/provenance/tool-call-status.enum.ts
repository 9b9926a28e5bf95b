/** State of one executed plan step. Stored as the PostgreSQL enum `tool_call_status`. */
export enum ToolCallStatus {
  Running = 'running',
  Succeeded = 'succeeded',
  Failed = 'failed',
  Cancelled = 'cancelled',
}
