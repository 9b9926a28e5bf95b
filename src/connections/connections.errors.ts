import { ConflictError, InvalidInputError, NotFoundError, ServiceUnavailableError } from '../common/domain-error';

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

export class SecretKeyMissingError extends ServiceUnavailableError {
  constructor() {
    super(
      'CONNECTION.NO_SECRET_KEY',
      'Connections need AOS_SECRET_KEY (32 random bytes in base64), which this instance does not have',
    );
  }
}

/** The destination is refused by the SSRF policy or does not resolve. */
export class ConnectionHostRefusedError extends InvalidInputError {
  constructor(field: string, reason: string) {
    super(field, reason);
  }
}
