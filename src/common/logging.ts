import type { Params } from 'nestjs-pino';
import type { AppConfig } from '../config/app-config';

/** Headers that carry secrets; pino replaces them with "[Redacted]" in every log line. */
const REDACTED_PATHS = [
  'req.headers["x-aos-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
];

export function loggerParams(config: AppConfig): Params {
  return {
    pinoHttp: {
      level: config.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
      // Fastify's genReqId already chose the id (see request-id.ts); log it on every line.
      genReqId: (req) => (req as { id?: string }).id ?? '',
      customAttributeKeys: { reqId: 'request_id' },
      transport: config.logPretty ? { target: 'pino-pretty', options: { singleLine: true } } : undefined,
      serializers: {
        req: (req: { id: string; method: string; url: string; headers: Record<string, unknown> }) => ({
          id: req.id,
          method: req.method,
          url: req.url,
          headers: req.headers,
        }),
      },
    },
  };
}
