import type { FastifyInstance, HTTPMethods } from 'fastify';
import FindMyWay from 'find-my-way';

const tables = new WeakMap<FastifyInstance, FindMyWay.Instance<FindMyWay.HTTPVersion.V1>>();
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * Keeps a copy of the route table (as every route is registered), so a request whose path exists
 * with other methods can be answered 405 with `Allow`, not 404. Catch-alls (CORS preflights on
 * `*`) are left out: they would make every path look like it exists.
 */
export function trackRoutes(fastify: FastifyInstance): void {
  const table = FindMyWay({ ignoreTrailingSlash: false });
  tables.set(fastify, table);
  fastify.addHook('onRoute', (route) => {
    if (route.url === '*' || route.url.endsWith('/*')) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (!METHODS.includes(method)) continue;
      try {
        table.on(method as FindMyWay.HTTPMethod, route.url, () => undefined);
      } catch {
        // Registered twice (HEAD next to GET): already known.
      }
    }
  });
}

/** The methods `path` is served with (empty: no route has the path). */
export function allowedMethods(fastify: FastifyInstance, path: string): string[] {
  const table = tables.get(fastify);
  if (!table) return [];
  return METHODS.filter((method) => table.find(method as FindMyWay.HTTPMethod, path) !== null);
}
