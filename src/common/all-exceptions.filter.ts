import {
  ArgumentsHost,
  Catch,
  ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
  NotFoundException,
} from '@nestjs/common';
import { allowedMethods } from './allowed-methods';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { DomainError, InvalidFieldsError, InvalidInputError } from './domain-error';
import { asOAuthError, TOKEN_PATH } from './oauth';

export interface ErrorBody {
  detail: string;
  [extra: string]: unknown;
}

// Fastify's own errors (raised before a Nest handler runs) and what the contract answers for them.
const FASTIFY_ERRORS: Record<string, { status: number; detail: (e: Error) => string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: {
    status: 400,
    detail: (e) =>
      /prototype property/i.test(e.message)
        ? 'The JSON body has a __proto__ or constructor.prototype key, which is refused (it could alter objects it is merged into)'
        : `Malformed JSON body: ${e.message}`,
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    detail: () => "Body cannot be empty when content-type is set to 'application/json'",
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, detail: () => 'Request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, detail: (e) => e.message },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, detail: (e) => e.message },
};

/**
 * Turns any error into the contract's `{"detail": ...}` body and status. Unknown errors are
 * logged with the request id and answered with a generic 500 that reveals nothing.
 */
export function toErrorResponse(
  error: unknown,
  logger: Logger,
  requestId?: string,
): { status: number; body: ErrorBody; headers?: Record<string, string> } {
  if (error instanceof InvalidInputError) {
    return {
      status: error.status,
      body: { detail: error.message, errors: [{ field: error.field, message: error.reason }] },
    };
  }
  if (error instanceof InvalidFieldsError) {
    return { status: error.status, body: { detail: error.message, errors: error.errors } };
  }
  if (error instanceof DomainError) {
    return { status: error.status, body: { ...error.fields, detail: error.message } };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const response = error.getResponse();
    if (typeof response === 'object' && response !== null && typeof (response as ErrorBody).detail === 'string') {
      return { status, body: response as ErrorBody };
    }
    return { status, body: { detail: messageOf(response, error.message) } };
  }
  if (error instanceof QueryFailedError) {
    const code = (error.driverError as { code?: string } | undefined)?.code;
    if (code === '23505') return { status: HttpStatus.CONFLICT, body: { detail: 'Resource already exists' } };
    if (code === '23503')
      return { status: HttpStatus.CONFLICT, body: { detail: 'Referenced resource does not exist' } };
    // Deadlock or serialization failure: a concurrent change won; the request may simply be sent again.
    if (code === '40P01' || code === '40001')
      return { status: HttpStatus.CONFLICT, body: { detail: 'Conflicting concurrent change; retry the request' } };
  }
  if (databaseUnavailable(error)) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { detail: 'The database is busy or unreachable; retry shortly' },
      headers: { 'retry-after': '1' },
    };
  }
  if (error instanceof Error) {
    const code = (error as Error & { code?: string }).code;
    const known = code ? FASTIFY_ERRORS[code] : undefined;
    if (known) return { status: known.status, body: { detail: known.detail(error) } };
    const statusCode = (error as Error & { statusCode?: number }).statusCode;
    if (statusCode && statusCode >= 400 && statusCode < 500) {
      return { status: statusCode, body: { detail: error.message } };
    }
  }
  logger.error({ err: error, reqId: requestId }, 'Unhandled error');
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { detail: 'Internal server error' } };
}

// Connection failures of PostgreSQL (class 08, shutdown 57P01-57P03) and of the socket under it.
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT']);

/**
 * The database could not be reached or no pooled connection freed up in time (pg-pool's timeout
 * is a plain Error, known only by its message): a 503 the client may retry, not a 500.
 */
function databaseUnavailable(error: unknown): boolean {
  const cause = error instanceof QueryFailedError ? (error.driverError as unknown) : error;
  if (!(cause instanceof Error)) return false;
  const code = (cause as Error & { code?: string }).code;
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true;
  return /^timeout exceeded when trying to connect$|^Connection terminated/.test(cause.message);
}

function messageOf(response: string | object, fallback: string): string {
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  if (typeof message === 'string') return message;
  return fallback;
}

@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const unrouted = exception instanceof NotFoundException && request?.routeOptions?.url === undefined;
    const allowed = unrouted ? allowedMethods(request.server, request.url.split('?')[0]) : [];
    if (allowed.length > 0) {
      // The path exists, with other methods.
      void reply
        .status(HttpStatus.METHOD_NOT_ALLOWED)
        .header('allow', allowed.join(', '))
        .send({ detail: `Method ${request.method} is not allowed on this path; allowed: ${allowed.join(', ')}` });
      return;
    }
    const { status, body, headers } = toErrorResponse(exception, this.logger, request?.id);
    if (headers) void reply.headers(headers);
    const answer = request?.routeOptions?.url === TOKEN_PATH ? asOAuthError(status, body) : { status, body };
    void reply.status(answer.status).send(answer.body);
  }
}
