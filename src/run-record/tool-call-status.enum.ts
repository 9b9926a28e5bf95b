/** State of one tool call. Stored as the PostgreSQL enum `tool_call_status`. */
export enum ToolCallStatus {
  Running = 'running',
  Succeeded = 'succeeded',
  Failed = 'failed',
  Cancelled = 'cancelled',
  /** Recorded, not started: waits for a person (the run is waiting_approval). */
  AwaitingApproval = 'awaiting_approval',
  /** A person approved it; it runs when its run is picked up again. */
  Approved = 'approved',
  /** A person refused it: it never ran (the model reads the reason). */
  Rejected = 'rejected',
  /** Nobody answered within AOS_APPROVAL_TTL_MS: it never ran, and its run was cancelled. */
  Expired = 'expired',
}
