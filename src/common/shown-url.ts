/**
 * A URL as errors and logs show it: without user info or query string, which may carry
 * credentials (errors reach a run's error_message, provenance, delivery records and logs).
 */
export function shown(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}${url.search ? '?…' : ''}`;
}
