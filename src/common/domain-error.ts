import { HttpStatus } from '@nestjs/common';

/**
 * A rule of the domain was broken. Services throw subclasses; the global exception filter maps
 * them to `{"detail": message}` with their status, so services never speak HTTP.
 */
export abstract class DomainError extends Error {
  abstract readonly status: HttpStatus;
  /** Stable machine-readable code, e.g. `AGENT.NOT_FOUND`. */
  abstract readonly code: string;
  /** Fields the answer carries beside `detail` (OAuth's `error` and `error_description`). */
  readonly fields?: Record<string, string>;
}

export class NotFoundError extends DomainError {
  readonly status = HttpStatus.NOT_FOUND;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ConflictError extends DomainError {
  readonly status = HttpStatus.CONFLICT;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class GoneError extends DomainError {
  readonly status = HttpStatus.GONE;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly status = HttpStatus.SERVICE_UNAVAILABLE;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class BadRequestError extends DomainError {
  readonly status = HttpStatus.BAD_REQUEST;
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Input that passed field validation but not a rule across fields: 422 with `errors`, like validation. */
export class InvalidInputError extends DomainError {
  readonly status = HttpStatus.UNPROCESSABLE_ENTITY;
  readonly code = 'REQUEST.INVALID';
  constructor(
    readonly field: string,
    readonly reason: string,
  ) {
    super(`Validation failed: ${reason}`);
  }
}

/** Several fields failed rules a DTO could not express statically (settings checked per kind): 422. */
export class InvalidFieldsError extends DomainError {
  readonly status = HttpStatus.UNPROCESSABLE_ENTITY;
  readonly code = 'REQUEST.INVALID';
  constructor(readonly errors: { field: string; message: string }[]) {
    super(`Validation failed: ${errors.map((e) => e.message).join('; ')}`);
  }
}
