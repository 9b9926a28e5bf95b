import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { hash, timingSafeEqual } from 'node:crypto';
import { PUBLIC_ROUTE_CONFIG } from './public.decorator';

export const API_KEY_HEADER = 'x-aos-key';

/** Set on a request whose credential the hook accepted; the guard then has nothing left to check. */
export const AUTHENTICATED = Symbol('aos:authenticated');

// One-shot hashing: no Hash object per request.
export function keyDigest(value: string): Buffer {
  return hash('sha256', value, 'buffer');
}

/** Why a presented key is refused, or undefined when it is the right one (compared in constant time). */
export function keyRefusal(presented: string | string[] | undefined, expected: Buffer): string | undefined {
  if (presented === undefined || presented === '') return 'Missing API key: send it in the X-AOS-Key header';
  if (typeof presented !== 'string' || !timingSafeEqual(keyDigest(presented), expected)) return 'Invalid API key';
  return undefined;
}

/** Routes that need no credential: the handlers marked @Public, the docs, CORS preflights. */
function isOpen(route: RouteOptions): boolean {
  if ((route.config as { aosPublic?: boolean } | undefined)?.aosPublic === PUBLIC_ROUTE_CONFIG.aosPublic) return true;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  // A preflight carries no credential by design; it only ever answers CORS headers.
  if (methods.every((m) => m === 'OPTIONS')) return true;
  return route.url === '/docs' || route.url.startsWith('/docs/') || /^\/openapi\.(json|yaml)$/.test(route.url);
}

/**
 * Checks the credential of every non-public route in an `onRequest` hook, before Fastify reads the
 * body: a client without the key is answered 401 at once, whatever body it announces or trickles.
 * The hook is appended to each route as it is registered, after the rate limiter's, so floods
 * without a key are still counted.
 */
export function registerCredentialCheck(fastify: FastifyInstance, apiKey: string): void {
  const expected = keyDigest(apiKey);
  const check: onRequestHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
    const refusal = keyRefusal(request.headers[API_KEY_HEADER], expected);
    if (refusal) {
      void reply.status(401).send({ detail: refusal });
      return;
    }
    (request as unknown as Record<symbol, boolean>)[AUTHENTICATED] = true;
    done();
  };
  fastify.addHook('onRoute', (route) => {
    if (isOpen(route)) return;
    const existing =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...existing, check];
  });
}
