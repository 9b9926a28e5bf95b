import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { Actor } from './actor';
import type { Scope } from './scopes';

/** What a request's credential proved: who acts, in which tenant, with which scopes. */
export interface Principal {
  actor: Actor;
  tenantId: string;
  scopes: readonly Scope[];
  /** What the rate limit counts by: `operator`, `key:<id>` (a key and the tokens minted from it) or `user:<sub>`. */
  credentialId: string;
  /** The tenant's requests per minute for this credential; unset: the service's own limit. */
  requestsPerMinute?: number;
}

/** Why a credential is refused: 401, or 404 for a tenant the request names but cannot see. */
export interface CredentialRefusal {
  status: 401 | 404;
  detail: string;
}

export type CredentialResolution = Principal | CredentialRefusal;

export function isRefusal(r: CredentialResolution | undefined): r is CredentialRefusal {
  return r !== undefined && 'status' in r;
}

/** Where the credential hook leaves its answer on the request. */
export const CREDENTIAL = Symbol('aos:credential');

export function principalOf(request: object): Principal | undefined {
  const resolved = (request as Record<symbol, CredentialResolution | undefined>)[CREDENTIAL];
  return resolved === undefined || isRefusal(resolved) ? undefined : resolved;
}

/** The request's principal, in a handler behind the credential check. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = principalOf(ctx.switchToHttp().getRequest<object>());
  if (!principal) throw new Error('No principal: this handler is not behind the credential check');
  return principal;
});
