import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

// A caller's id is echoed only when it is short and made of characters safe in logs and headers.
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * Fastify's `genReqId`: the caller's `X-Request-ID` when sane, else a new UUID. Fastify stores the
 * result as `request.id` before any hook or guard runs, so the response header (set in an
 * onRequest hook) and every log line of the request (pino-http reads `req.id`) carry it, 401s and
 * unknown routes included.
 */
export function requestIdFor(raw: IncomingMessage): string {
  const incoming = raw.headers[REQUEST_ID_HEADER];
  const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  (raw as IncomingMessage & { id?: string }).id = id;
  return id;
}
