import type { Run } from './types.js';

/** One field's problem in a 422 answer. */
export interface FieldError {
  field: string;
  message: string;
}

/**
 * The server refused a request: any 4xx or 5xx. AOS answers every error as `{"detail": "..."}`
 * (a 422 adds `errors`); a body that is not that shape (a proxy's page) keeps its status text.
 */
export class AosApiError extends Error {
  override readonly name = 'AosApiError';

  constructor(
    readonly status: number,
    readonly detail: string,
    /** The parsed body as the server sent it. */
    readonly body: unknown,
    /** `X-Request-ID` of the answer: what the server's log lines carry. */
    readonly requestId: string | null = null,
  ) {
    super(`${status} ${detail}`);
  }

  /** A 422's field errors (empty for other statuses). */
  get errors(): FieldError[] {
    const errors = (this.body as { errors?: unknown } | null)?.errors;
    return Array.isArray(errors) ? (errors as FieldError[]) : [];
  }

  static async from(response: Response): Promise<AosApiError> {
    const text = await response.text().catch(() => '');
    return AosApiError.fromBody(response, text);
  }

  static fromBody(response: Response, body: unknown): AosApiError {
    let parsed = body;
    if (typeof body === 'string') {
      try {
        parsed = JSON.parse(body) as unknown;
      } catch {
        parsed = body;
      }
    }
    const detail = (parsed as { detail?: unknown } | null)?.detail;
    return new AosApiError(
      response.status,
      typeof detail === 'string' ? detail : response.statusText || 'error',
      parsed,
      response.headers.get('x-request-id'),
    );
  }
}

/** No answer from the server at all: refused, unknown host, reset or timed out. */
export class AosConnectionError extends Error {
  override readonly name = 'AosConnectionError';

  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach AOS at ${url}: ${describeNetworkError(cause)}`, { cause });
  }
}

/** `waitForRun` (or a stream) gave up at the caller's deadline; the run is as it was last seen. */
export class AosTimeoutError extends Error {
  override readonly name = 'AosTimeoutError';

  constructor(
    readonly timeoutMs: number,
    readonly run: Run | undefined,
  ) {
    super(`timed out after ${timeoutMs / 1000} s${run ? `; run ${run.id} is ${run.status}` : ''}`);
  }
}

const NETWORK_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'name lookup failed',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  UND_ERR_SOCKET: 'connection closed',
};

/** fetch hides the reason in `cause` (sometimes an AggregateError of one per address). */
export function describeNetworkError(error: unknown): string {
  let innermost = error;
  for (let e: unknown = error, depth = 0; e && depth < 4; depth++) {
    innermost = e;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return NETWORK_CODES[code] ?? code;
    const inner = (e as { errors?: unknown[] }).errors;
    e = Array.isArray(inner) && inner.length > 0 ? inner[0] : (e as { cause?: unknown }).cause;
  }
  // Not `instanceof Error`: the cause may come from another realm (a VM context, a worker).
  const message = (innermost as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(innermost);
}
