import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { REQUEST_ID_HEADER } from './request-id';
import { API_SECURITY_HEADERS } from './security-headers';

/** What Node's HTTP parser refuses before a request exists, and what the contract answers. */
export function clientErrorResponse(code: string | undefined): { status: number; detail: string } {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return { status: 431, detail: 'Request line or headers are too large' };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, detail: 'The request was not received in time' };
    case 'HPE_URI_TOO_LONG':
      return { status: 414, detail: 'Request URI is too long' };
    case undefined:
    default:
      return { status: 400, detail: 'Malformed HTTP request' };
  }
}

/**
 * Fastify's `clientErrorHandler`: Node's parser rejected the bytes on the socket (an oversized
 * request line or header → 431, a broken request line → 400). Answered in the contract's shape,
 * with a request id and the API security headers, then the connection is closed.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { status, detail } = clientErrorResponse(error.code);
  if (socket.writable) {
    const body = JSON.stringify({ detail });
    const headers = {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
      connection: 'close',
      [REQUEST_ID_HEADER]: randomUUID(),
      ...API_SECURITY_HEADERS,
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}`)
      .join('\r\n');
    // Close gently: send the answer and FIN, then read and drop what the client is still sending
    // (the rest of a 100 KB request line). Destroying at once would reset the connection with
    // unread data, and the client would never read the answer.
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n${head}\r\n\r\n${body}`);
    socket.on('data', () => undefined).on('end', () => socket.destroy());
    socket.resume();
    setTimeout(() => socket.destroy(), LINGER_MS).unref();
    return;
  }
  socket.destroy(error);
}

/** How long a refused connection may keep sending before it is cut. */
const LINGER_MS = 2_000;

/**
 * Fastify's `frameworkErrors`: the router refused the URL before any hook ran (bad percent-encoding
 * → 400, a path parameter over the length limit → 414). Same shape and headers as every reply.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
  const detail =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'A path parameter is too long'
      : error.code === 'FST_ERR_BAD_URL'
        ? 'The URL is not valid (bad percent-encoding)'
        : error.message;
  void reply.header(REQUEST_ID_HEADER, request.id).headers(API_SECURITY_HEADERS).status(status).send({ detail });
}
