/** Lifecycle of an agent (seed §2). Stored as the PostgreSQL enum `agent_status`. */
export enum AgentStatus {
  Active = 'active',
  Paused = 'paused',
  Stopped = 'stopped',
}
