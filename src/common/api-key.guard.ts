import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { API_KEY_HEADER, AUTHENTICATED, keyDigest, keyRefusal } from './credential-check';
import { IS_PUBLIC_KEY } from './public.decorator';

/**
 * Requires `X-AOS-Key` on every route not marked `@Public()`. The credential hook has normally
 * checked it before the body was read; the guard is the second line for any route the hook did
 * not see, and compares in constant time too.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly expectedDigest: Buffer;
  // Whether a handler is public never changes: look its metadata up once, not on every request.
  private readonly publicHandlers = new WeakMap<object, boolean>();

  constructor(
    private readonly reflector: Reflector,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.expectedDigest = keyDigest(config.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, context.getClass()]) === true;
      this.publicHandlers.set(handler, isPublic);
    }
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Record<string | symbol, unknown>>();
    if (request[AUTHENTICATED] === true) return true;
    const headers = request.headers as Record<string, string | string[] | undefined>;
    const refusal = keyRefusal(headers[API_KEY_HEADER], this.expectedDigest);
    if (refusal) throw new UnauthorizedException(refusal);
    return true;
  }
}
