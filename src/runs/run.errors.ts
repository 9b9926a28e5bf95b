import { ConflictError, NotFoundError } from '../common/domain-error';
import type { RunStatus } from '../run-record/run-status.enum';

export class RunNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('RUN.NOT_FOUND', `Run ${id} not found`);
  }
}

export class AgentStoppedError extends ConflictError {
  constructor(agentId: string) {
    super('AGENT.STOPPED', `Agent ${agentId} is stopped; resume it before giving it goals`);
  }
}

export class RunFinishedError extends ConflictError {
  constructor(id: string, status: RunStatus) {
    super('RUN.FINISHED', `Run ${id} is already ${status}`);
  }
}

export class IdempotencyKeyReusedError extends ConflictError {
  constructor() {
    super('RUN.IDEMPOTENCY_KEY_REUSED', 'Idempotency-Key was already used for a different goal of this agent');
  }
}

export class RunNotWaitingError extends ConflictError {
  constructor(id: string, status: RunStatus) {
    super('RUN.NOT_WAITING', `Run ${id} is ${status}: it is not waiting for approval`);
  }
}

export class ApprovalNotPendingError extends ConflictError {
  constructor(runId: string, toolCallId: string | undefined) {
    super(
      'RUN.APPROVAL_NOT_PENDING',
      toolCallId === undefined
        ? `Run ${runId} has no call waiting for approval`
        : `Tool call ${toolCallId} of run ${runId} is not waiting for approval`,
    );
  }
}

export class ReplayNotPossibleError extends ConflictError {
  constructor(message: string) {
    super('RUN.NOT_REPLAYABLE', message);
  }
}
