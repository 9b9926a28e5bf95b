import { AgentStatus } from './agent-status.enum';

// Which status may follow which. A stopped agent can be resumed; it cannot be paused.
const ALLOWED_TRANSITIONS: Record<AgentStatus, readonly AgentStatus[]> = {
  [AgentStatus.Active]: [AgentStatus.Paused, AgentStatus.Stopped],
  [AgentStatus.Paused]: [AgentStatus.Active, AgentStatus.Stopped],
  [AgentStatus.Stopped]: [AgentStatus.Active],
};

/** Whether an agent in `from` may be set to `to`. Setting the status it already has is allowed (a no-op). */
export function canTransition(from: AgentStatus, to: AgentStatus): boolean {
  return from === to || ALLOWED_TRANSITIONS[from].includes(to);
}
