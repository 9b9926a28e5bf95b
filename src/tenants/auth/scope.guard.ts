import { CanActivate, ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { principalOf } from '../../common/principal';
import { IS_PUBLIC_KEY } from '../../common/public.decorator';
import { allows, defaultScope, REQUIRED_SCOPE, Scope, scopeRefusal } from '../../common/scopes';

/**
 * The second check of every route not marked `@Public()`: the credential hook has resolved the
 * principal (or refused the request); the guard compares its scopes with the operation's (403
 * naming the scope). A route the hook did not see has no principal and is refused.
 */
@Injectable()
export class ScopeGuard implements CanActivate {
  // What a handler requires never changes: look its metadata up once, not on every request.
  private readonly required = new WeakMap<object, Scope | null>();

  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const request = context.switchToHttp().getRequest<{ method: string }>();
    let required = this.required.get(handler);
    if (required === undefined) {
      const targets = [handler, context.getClass()];
      required = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)
        ? null
        : (this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, targets) ??
          defaultScope(request.method));
      this.required.set(handler, required);
    }
    if (required === null) return true;
    const principal = principalOf(request);
    if (!principal)
      throw new UnauthorizedException(
        'Missing credential: send an API key in the X-AOS-Key header, or a token as Authorization: Bearer',
      );
    if (!allows(principal.scopes, required)) throw scopeRefusal(required, principal.scopes);
    return true;
  }
}
