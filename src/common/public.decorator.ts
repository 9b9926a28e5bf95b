import { SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';

export const IS_PUBLIC_KEY = 'aos:public';

/** What the Fastify route of a public handler carries, so the credential hook can see it before any body is read. */
export const PUBLIC_ROUTE_CONFIG = { aosPublic: true } as const;

/**
 * Marks a handler (or every handler of a controller) as reachable without a credential: the
 * probes, the version. Sets both the Nest metadata the guard reads and the Fastify route config
 * the `onRequest` credential hook reads (Nest copies method metadata, not class metadata, onto
 * the routes it registers, so a class decorator marks each of its methods).
 */
export const Public =
  (): ClassDecorator & MethodDecorator =>
  (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor) {
      SetMetadata(IS_PUBLIC_KEY, true)(target, key!, descriptor);
      RouteConfig(PUBLIC_ROUTE_CONFIG)(target, key!, descriptor);
      return;
    }
    SetMetadata(IS_PUBLIC_KEY, true)(target as () => void);
    const prototype = (target as { prototype: Record<string, unknown> }).prototype;
    for (const name of Object.getOwnPropertyNames(prototype)) {
      const method = Object.getOwnPropertyDescriptor(prototype, name);
      if (name === 'constructor' || typeof method?.value !== 'function') continue;
      RouteConfig(PUBLIC_ROUTE_CONFIG)(prototype, name, method);
    }
  };
