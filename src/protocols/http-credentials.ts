import type { ConnectionKind } from './connection-kind.enum';
import type { ResolvedConnection } from './resolved-connection';

/**
 * The headers an http connection adds to a request for `url`, which must be on the connection's
 * origin (scheme, host and port): credentials never go anywhere else.
 */
export function credentialHeaders(
  connection: ResolvedConnection<ConnectionKind.Http>,
  url: URL,
): Record<string, string> {
  if (url.origin !== connection.settings.origin) {
    throw new Error(
      `connection ${connection.name} holds credentials for ${connection.settings.origin} only, not ${url.origin}`,
    );
  }
  if (connection.secret === undefined) return {};
  if (connection.settings.auth === 'headers') return JSON.parse(connection.secret) as Record<string, string>;
  return { authorization: `Bearer ${connection.secret}` };
}
