import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler, RouteOptions } from 'fastify';
import { CREDENTIAL, CredentialResolution, isRefusal } from './principal';
import { PUBLIC_ROUTE_CONFIG } from './public.decorator';

export const API_KEY_HEADER = 'x-aos-key';
export const TENANT_HEADER = 'x-aos-tenant';

/** Turns a request's credential headers into a principal or a refusal (the tenants module's resolver). */
export type ResolveCredential = (headers: FastifyRequest['headers']) => Promise<CredentialResolution>;

/** Routes that need no credential: the handlers marked @Public, the docs, CORS preflights. */
function isOpen(route: RouteOptions): boolean {
  if ((route.config as { aosPublic?: boolean } | undefined)?.aosPublic === PUBLIC_ROUTE_CONFIG.aosPublic) return true;
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  // A preflight carries no credential by design; it only ever answers CORS headers.
  if (methods.every((m) => m === 'OPTIONS')) return true;
  return route.url === '/docs' || route.url.startsWith('/docs/') || /^\/openapi\.(json|yaml)$/.test(route.url);
}

/**
 * Checks the credential of every non-public route in `onRequest` hooks, before Fastify reads the
 * body: a client without a valid key is answered at once, whatever body it announces or trickles.
 * The credential is resolved first, so the rate limiter (whose hook sits between) counts a valid
 * credential by itself and anything else by address; the refusal comes after it, so floods
 * without a key are still counted.
 */
export function registerCredentialCheck(fastify: FastifyInstance, resolve: ResolveCredential): void {
  const identify: onRequestHookHandler = (request: FastifyRequest, _reply: FastifyReply, done) => {
    resolve(request.headers).then(
      (resolved) => {
        (request as unknown as Record<symbol, CredentialResolution>)[CREDENTIAL] = resolved;
        done();
      },
      (error: Error) => done(error),
    );
  };
  const refuse: onRequestHookHandler = (request: FastifyRequest, reply: FastifyReply, done) => {
    const resolved = (request as unknown as Record<symbol, CredentialResolution | undefined>)[CREDENTIAL];
    if (isRefusal(resolved)) {
      void reply.status(resolved.status).send({ detail: resolved.detail });
      return;
    }
    done();
  };
  // A request that matches no route is answered by the not-found handler, which no route's hooks
  // reach: without a valid credential it is refused too (404 and 405 would map the API), unless
  // its path is a public one (a wrong method on /health is still a 405 for anyone).
  const openPaths = new Set<string>();
  fastify.addHook('onRequest', (request, reply, done) => {
    if (request.routeOptions.url !== undefined || request.method === 'OPTIONS') return done();
    const path = request.url.split('?')[0];
    if (openPaths.has(path) || path.startsWith('/docs/')) return done();
    identify.call(fastify, request, reply, (error?: Error) =>
      error ? done(error) : refuse.call(fastify, request, reply, done),
    );
  });
  fastify.addHook('onRoute', (route) => {
    if (isOpen(route)) {
      openPaths.add(route.url);
      return;
    }
    const existing =
      route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [identify, ...existing, refuse];
  });
}
