import { createDAVClient } from 'tsdav';
import type { ConnectionKind } from '../connection-kind.enum';
import type { ProtocolOptions, ResolvedConnection } from '../resolved-connection';
import { guardedFetch } from './guarded-fetch';

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
 * A tsdav client logged in to the connection's CalDAV server (Basic auth), every request through
 * a fetch that applies the SSRF policy to each connection and redirect, answers capped at
 * MAX_DAV_RESPONSE_BYTES.
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
    fetch: cappedFetch(guardedFetch(options.policy, options.timeoutMs), MAX_DAV_RESPONSE_BYTES),
  });
}
