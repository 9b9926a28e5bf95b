import type { FastifyInstance } from 'fastify';
import { AsyncLocalStorage } from 'node:async_hooks';
import { Params, PinoLogger } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

/** The id of the request being handled, for every log line written while it is handled. */
const requestIds = new AsyncLocalStorage<string>();

function requestIdMixin(): Record<string, string> {
  const id = requestIds.getStore();
  return id === undefined ? {} : { request_id: id };
}

export function loggerParams(config: AppConfig): Params {
  return {
    // The per-request part is done by Fastify hooks (registerRequestLogging) instead of
    // nestjs-pino's Nest middleware: on Fastify that middleware runs through middie and
    // pino-http and cost about a fifth of the CPU of a simple request in the benchmark.
    forRoutes: [],
    pinoHttp: {
      level: config.logLevel,
      // Adds request_id to every line logged inside a request, without a child logger per request.
      mixin: requestIdMixin,
      transport: config.logPretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
    },
  };
}

const LIVENESS_PATH = '/health/live';

/**
 * One line per request when the response is sent (`request completed`, with request_id, method,
 * url, status and time), and every line logged while a handler runs (guards, services, the
 * exception filter) carries the same request_id. Headers are never logged, so neither is X-AOS-Key.
 */
export function registerRequestLogging(fastify: FastifyInstance): void {
  // preHandler: after the body is read, so the context is not lost across body stream events.
  fastify.addHook('preHandler', (request, _reply, done) => {
    requestIds.run(request.id, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    // Orchestrators probe liveness every few seconds; those lines are noise.
    if (request.url !== LIVENESS_PATH) {
      // Flat fields: pino-http's serializers own the `req`/`res` keys of the root logger.
      const line = {
        request_id: request.id,
        method: request.method,
        url: request.url,
        status_code: reply.statusCode,
        response_time_ms: Math.round(reply.elapsedTime * 10) / 10,
        remote_address: request.ip,
      };
      // Outside the request's context (the mixin would add request_id a second time).
      requestIds.exit(() => {
        if (reply.statusCode >= 500) PinoLogger.root.error(line, 'request completed');
        else PinoLogger.root.info(line, 'request completed');
      });
    }
    done();
  });
}
