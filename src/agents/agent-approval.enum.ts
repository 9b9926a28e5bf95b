/**
 * Which of an agent's tool calls wait for a person: `none`; `side_effects`: every call that changes
 * something outside AOS (sending mail, creating events, HTTP methods other than GET); `always`:
 * every call. Stored as the PostgreSQL enum `agent_approval`.
 */
export enum AgentApproval {
  None = 'none',
  SideEffects = 'side_effects',
  Always = 'always',
}
