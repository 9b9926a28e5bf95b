import { ConflictError, InvalidInputError, NotFoundError } from '../common/domain-error';

export class ConnectionNotFoundError extends NotFoundError {
  constructor(id: string) {
    super('CONNECTION.NOT_FOUND', `Connection ${id} not found`);
  }
}

export class ConnectionNameTakenError extends ConflictError {
  constructor(name: string) {
    super('CONNECTION.NAME_TAKEN', `The agent already has a connection named ${name}`);
  }
}

export class TooManyConnectionsError extends ConflictError {
  constructor(max: number) {
    super('CONNECTION.LIMIT', `The agent already has ${max} connections; delete one first`);
  }
}

/** The destination is refused by the SSRF policy or does not resolve. */
export class ConnectionHostRefusedError extends InvalidInputError {
  constructor(field: string, reason: string) {
    super(field, reason);
  }
}
