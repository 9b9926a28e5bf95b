/** Lifecycle of an agent (see agent-lifecycle.ts for the transitions). Stored as the PostgreSQL enum `agent_status`. */
export enum AgentStatus {
  Active = 'active',
  Paused = 'paused',
  Stopped = 'stopped',
}
