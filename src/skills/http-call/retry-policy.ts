import type { AxiosError } from 'axios';
import { findSsrfBlock } from '../../common/ssrf';

/** Methods whose repetition has no further effect: a call interrupted by a crash may run again. */
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE']);

const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/** What a failed attempt looked like, as far as retrying is concerned. */
export interface FailedAttempt {
  /** Node's or axios' error code (ECONNREFUSED, ECONNABORTED for a timeout, ERR_CANCELED ...). */
  code?: string;
  /** The HTTP status, when the server answered. */
  status?: number;
  /** The SSRF policy refused the address. */
  blocked?: boolean;
}

export function failedAttemptOf(error: AxiosError): FailedAttempt {
  return { code: error.code, status: error.response?.status, blocked: findSsrfBlock(error) !== undefined };
}

/**
 * Whether another attempt may help and cannot do harm. Never: an SSRF refusal, a cancel. Idempotent
 * methods: 5xx, 429 and network errors. Other methods (POST) only when the server cannot have
 * acted on the request: connection refused, 429, 503.
 */
export function mayRetry(attempt: FailedAttempt, method: string): boolean {
  if (attempt.blocked || attempt.code === 'ERR_CANCELED') return false;
  if (!IDEMPOTENT_METHODS.has(method.toUpperCase())) {
    return attempt.code === 'ECONNREFUSED' || attempt.status === 429 || attempt.status === 503;
  }
  if (attempt.status !== undefined) return attempt.status >= 500 || attempt.status === 429;
  return attempt.code === undefined || NETWORK_ERROR_CODES.has(attempt.code);
}
