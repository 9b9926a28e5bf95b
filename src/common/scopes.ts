import { applyDecorators, HttpStatus, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { DomainError } from './domain-error';
/**
 * What a credential may do. `admin` includes `write`, which includes `read`; `operator` is the
 * operator credential's alone (tenant management).
 */
export enum Scope {
  Read = 'read',
  Write = 'write',
  Admin = 'admin',
  Operator = 'operator',
}

/** The scopes a tenant key may hold. */
export const KEY_SCOPES = [Scope.Read, Scope.Write, Scope.Admin] as const;

const RANK: Record<Scope, number> = { read: 1, write: 2, admin: 3, operator: 4 };

/** Whether holding `held` allows an operation that requires `required`. */
export function allows(held: readonly Scope[], required: Scope): boolean {
  return held.some((s) => RANK[s] >= RANK[required] && (required !== Scope.Operator || s === Scope.Operator));
}

export const REQUIRED_SCOPE = 'aos:required-scope';
/** The OpenAPI extension naming an operation's scope (API-key schemes carry no scopes in OpenAPI 3.0). */
export const SCOPES_EXTENSION = 'x-aos-scopes';

/** The scope of an operation that declares none: reading needs `read`, anything else `write`. */
export function defaultScope(method: string): Scope {
  return method === 'GET' || method === 'HEAD' ? Scope.Read : Scope.Write;
}

/** Declares the scope a handler (or every handler of a controller) requires, for the guard and the document. */
export const RequiresScope = (scope: Scope): ClassDecorator & MethodDecorator =>
  applyDecorators(SetMetadata(REQUIRED_SCOPE, scope), ApiExtension(SCOPES_EXTENSION, [scope]));

/** A credential lacks the scope an operation (or a field of its body) requires: 403. */
export class ScopeRequiredError extends DomainError {
  readonly status = HttpStatus.FORBIDDEN;
  readonly code = 'AUTH.SCOPE';
}

/** The refusal naming the scope `what` needs and the scopes the credential has. */
export function scopeRefusal(required: Scope, held: readonly Scope[], what = 'This operation'): ScopeRequiredError {
  const which = required === Scope.Operator ? 'the operator key (AOS_API_KEY)' : `the "${required}" scope`;
  return new ScopeRequiredError(`${what} needs ${which}; this credential has: ${held.join(', ') || 'no scope'}`);
}
