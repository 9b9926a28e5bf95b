import { storable } from '../common/storable';

/**
 * What a protocol library's failure says, as text: the server's own words when it answered, else
 * the error's message. imapflow puts the server's text in `responseText` and leaves `response` a
 * parsed object (or false) on some paths, which printed as "[object Object]"; nodemailer's
 * `response` is the SMTP reply line.
 */
export function failureText(error: unknown): string {
  error = underlying(error);
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as { message?: unknown; response?: unknown; responseText?: unknown; serverResponseCode?: unknown };
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? storable(value.trim()) : undefined);
  const server = text(e.responseText);
  if (server) {
    const code = text(e.serverResponseCode);
    return code && !server.includes(code) ? `[${code}] ${server}` : server;
  }
  return text(e.response) ?? text(e.message) ?? (error instanceof Error ? error.name : 'unknown error');
}

/**
 * The error that says what happened: undici's fetch (tsdav, the HTTP test) throws only "fetch
 * failed" and keeps the reason — ECONNREFUSED, a timeout, an SSRF refusal — as its cause.
 */
export function underlying(error: unknown): unknown {
  const e = error as { message?: unknown; cause?: unknown } | null;
  return e instanceof Error && e.message === 'fetch failed' && typeof e.cause === 'object' && e.cause !== null
    ? e.cause
    : error;
}
