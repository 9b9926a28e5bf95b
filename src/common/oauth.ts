/** The OAuth token endpoint: the one route that also takes forms, and answers OAuth's error shape. */
export const TOKEN_PATH = '/auth/token';

/**
 * An error answer of the token endpoint in OAuth's shape (RFC 6749 §5.2) whatever raised it (a
 * malformed body, a rate limit, a validation error): `error` and `error_description` beside
 * `detail`. Answers that already carry them are left as they are.
 */
export function asOAuthError(
  status: number,
  body: { detail: string; [extra: string]: unknown },
): { status: number; body: Record<string, unknown> } {
  if (typeof body.error === 'string') return { status, body };
  const error = status >= 500 ? 'temporarily_unavailable' : 'invalid_request';
  // OAuth knows no 422: a malformed request is a 400 there.
  const { errors: _fields, ...rest } = body;
  return { status: status === 422 ? 400 : status, body: { ...rest, error, error_description: body.detail } };
}
