import { createDAVClient } from 'tsdav';
import type { ConnectionKind } from '../connection-kind.enum';
import type { ProtocolOptions, ResolvedConnection } from '../resolved-connection';
import { guardedFetch } from './guarded-fetch';

export type DavClient = Awaited<ReturnType<typeof createDAVClient>>;

/**
 * A tsdav client logged in to the connection's CalDAV server (Basic auth), every request through
 * a fetch that applies the SSRF policy to each connection and redirect.
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
    fetch: guardedFetch(options.policy, options.timeoutMs),
  });
}
