import { CanActivate, ExecutionContext, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hash, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/app-config';
import { IS_PUBLIC_KEY } from './public.decorator';

export const API_KEY_HEADER = 'x-aos-key';

/**
 * Requires `X-AOS-Key` on every route not marked `@Public()`. Both sides are hashed first so the
 * comparison takes the same time whatever the length or content of the presented key.
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
    this.expectedDigest = digest(config.apiKey);
  }

  canActivate(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    let isPublic = this.publicHandlers.get(handler);
    if (isPublic === undefined) {
      isPublic = this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, context.getClass()]) === true;
      this.publicHandlers.set(handler, isPublic);
    }
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined> }>();
    const presented = request.headers[API_KEY_HEADER];
    if (presented === undefined || presented === '') {
      throw new UnauthorizedException('Missing API key: send it in the X-AOS-Key header');
    }
    if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), this.expectedDigest)) {
      throw new UnauthorizedException('Invalid API key');
    }
    return true;
  }
}

// One-shot hashing: no Hash object per request.
function digest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}
