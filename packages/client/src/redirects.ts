/** Redirects followed within one origin before the client gives up. */
const MAX_HOPS = 5;

/**
 * A fetch that follows redirects only within the origin it was asked for, for bodyless requests:
 * fetch's default follows them anywhere, and sends the request's headers — the API key among them
 * — to whatever origin a redirect names. A redirect elsewhere (or of a request with a body)
 * answers as a 3xx with a `detail` saying why it was not followed.
 */
export function sameOriginRedirects(fetchImpl: typeof globalThis.fetch): typeof globalThis.fetch {
  return async (input, init) => {
    let request = new Request(input, { ...init, redirect: 'manual' });
    for (let hop = 0; ; hop++) {
      const response = await fetchImpl(request);
      // A browser hides a manual redirect's status and target (an opaque redirect).
      if (response.type === 'opaqueredirect') return refused(response, 'the server redirected the request elsewhere');
      if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
      const location = response.headers.get('location');
      if (!location) return response;
      const next = new URL(location, request.url);
      const from = new URL(request.url);
      if (next.origin !== from.origin) {
        return refused(
          response,
          `the server redirected to ${next.origin}, another origin (the key is never sent there)`,
        );
      }
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return refused(
          response,
          `the server redirected a ${request.method} to ${next.pathname}; only reads are followed`,
        );
      }
      if (hop === MAX_HOPS) return refused(response, `more than ${MAX_HOPS} redirects`);
      await response.body?.cancel().catch(() => undefined);
      request = new Request(next, {
        method: request.method,
        headers: request.headers,
        signal: request.signal,
        redirect: 'manual',
      });
    }
  };
}

function refused(response: Response, why: string): Response {
  void response.body?.cancel().catch(() => undefined);
  const headers = new Headers({ 'content-type': 'application/json' });
  const requestId = response.headers.get('x-request-id');
  if (requestId) headers.set('x-request-id', requestId);
  return new Response(JSON.stringify({ detail: `redirect not followed: ${why}` }), {
    // An opaque redirect has status 0, which a Response cannot carry.
    status: response.status >= 300 && response.status < 400 ? response.status : 399,
    headers,
  });
}
