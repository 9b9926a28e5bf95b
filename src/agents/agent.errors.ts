import { ConflictError, NotFoundError } from '../common/domain-error';
import type { AgentStatus } from './agent-status.enum';

export class AgentNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('AGENT.NOT_FOUND', `Agent ${id} not found`);
  }
}

export class AgentStatusTransitionError extends ConflictError {
  constructor(from: AgentStatus, to: AgentStatus) {
    super('AGENT.INVALID_TRANSITION', `Agent is ${from}; it cannot become ${to}`);
  }
}

/** The tenant has as many agents as its `agents` limit allows. */
export class AgentLimitError extends ConflictError {
  constructor(max: number, count: number) {
    super(
      'AGENT.LIMIT',
      `This tenant has ${count} agents and its limit (limits.agents) is ${max}: delete one, or ask the operator to raise it`,
    );
  }
}
