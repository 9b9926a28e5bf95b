import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-error';

export class MemoryNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('MEMORY.NOT_FOUND', `Memory ${id} not found`);
  }
}

export class MemoryInUseError extends ConflictError {
  constructor(id: string, runId: string) {
    super('MEMORY.RUN_IN_PROGRESS', `Memory ${id} was written by run ${runId}, which is still running`);
  }
}

export class RecallCursorWithQueryError extends InvalidInputError {
  constructor() {
    super('cursor', 'cursor pages the newest-first listing; a ranked query returns its best `limit` matches only');
  }
}
