import { createDAVClient } from 'tsdav';
import type { ConnectionKind } from './connection-kind.enum';
import type { ProtocolOptions, ResolvedConnection } from './resolved-connection';
import { guardedFetch, NEUTRAL_HEADERS } from './guarded-fetch';

export type DavClient = Awaited<ReturnType<typeof createDAVClient>>;

/**
 * The largest answer read from a CalDAV server. tsdav reads every body whole into memory (and a
 * calendar listing is then parsed and expanded), so a server's answer is cut off past this.
 */
export const MAX_DAV_RESPONSE_BYTES = 5 * 1024 * 1024;

/** Statuses whose response has no body (a Response cannot be built with one). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch whose responses fail to read once their body passes `maxBytes`: at once when the
 * Content-Length says so, else as soon as that many bytes have arrived (the rest is not read).
 */
export function cappedFetch(inner: typeof fetch, maxBytes: number): typeof fetch {
  const size = maxBytes % 1_048_576 === 0 ? `${maxBytes / 1_048_576} MB` : `${maxBytes} bytes`;
  const tooLarge = () => new Error(`the CalDAV server's answer is larger than ${size}; AOS reads no more`);
  return async (input, init) => {
    const response = await inner(input, init);
    if (!response.body || NULL_BODY.has(response.status)) return response;
    if (Number(response.headers.get('content-length')) > maxBytes) {
      await response.body.cancel();
      throw tooLarge();
    }
    let received = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          received += chunk.byteLength;
          // Erroring the stream cancels the source: the connection stops downloading.
          if (received > maxBytes) controller.error(tooLarge());
          else controller.enqueue(chunk);
        },
      }),
    );
    const capped = new Response(counted, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    // tsdav reports `url` as the href of a response it cannot parse.
    Object.defineProperty(capped, 'url', { value: response.url });
    return capped;
  };
}

/**
 * A fetch that sends the caller's credentials to `origin` only: tsdav follows the hrefs a server
 * names (a calendar home, a calendar) with the same Authorization, and a server could name another
 * origin. Requests elsewhere keep only neutral headers.
 */
export function originBoundCredentials(inner: typeof fetch, origin: string): typeof fetch {
  return (input, init) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    if (url.origin === origin) return inner(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    for (const name of [...headers.keys()]) if (!NEUTRAL_HEADERS.has(name)) headers.delete(name);
    return inner(input instanceof Request ? input.url : input, { ...init, headers });
  };
}

/**
 * A tsdav client logged in to the connection's CalDAV server (Basic auth, sent to the server's
 * origin only), every request through a fetch that applies the SSRF policy to each connection and
 * redirect, answers capped at MAX_DAV_RESPONSE_BYTES.
 */
export function davClient(
  connection: ResolvedConnection<ConnectionKind.Caldav>,
  options: ProtocolOptions,
): Promise<DavClient> {
  return createDAVClient({
    serverUrl: connection.settings.url,
    credentials: { username: connection.settings.username, password: connection.secret ?? '' },
    authMethod: 'Basic',
    defaultAccountType: 'caldav',
    fetch: cappedFetch(
      originBoundCredentials(guardedFetch(options.policy, options.timeoutMs), new URL(connection.settings.url).origin),
      MAX_DAV_RESPONSE_BYTES,
    ),
  });
}
