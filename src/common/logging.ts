import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

export function loggerParams(config: AppConfig): Params {
  return {
    // nestjs-pino's default route pattern ('{/*splat}') matches nothing on the Fastify adapter of
    // Nest 12, which silently dropped every request log; '*path' matches every route.
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
    pinoHttp: {
      level: config.logLevel,
      // Fastify's genReqId already chose the id (see request-id.ts); log it on every line.
      genReqId: (req) => (req as { id?: string }).id ?? '',
      // Lines logged inside a request carry only its id (as request_id), not the whole request.
      quietReqLogger: true,
      customAttributeKeys: { reqId: 'request_id' },
      // Orchestrators probe liveness every few seconds; those lines are noise.
      autoLogging: { ignore: (req) => ((req as { originalUrl?: string }).originalUrl ?? req.url) === '/health/live' },
      transport: config.logPretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      // Lean lines: what is needed to trace a request. Headers are never logged, so neither is
      // X-AOS-Key (the process test checks the key never reaches the log).
      serializers: {
        // Nest's middleware adapter rewrites req.url; originalUrl is what the client asked for.
        req: (req: { id: string; method: string; url: string; originalUrl?: string; remoteAddress?: string }) => ({
          id: req.id,
          method: req.method,
          url: req.originalUrl ?? req.url,
          remote_address: req.remoteAddress,
        }),
        res: (res: { statusCode: number }) => ({ status_code: res.statusCode }),
      },
    },
  };
}
