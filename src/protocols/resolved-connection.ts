import type { ConnectionKind } from './connection-kind.enum';
import type { SettingsOf } from './settings';

/**
 * A connection as a skill gets it from the executor: settings and the opened secret. It lives only
 * for the call; nothing derived from the secret goes into outputs, errors or logs.
 */
export interface ResolvedConnection<K extends ConnectionKind = ConnectionKind> {
  id: string;
  name: string;
  kind: K;
  settings: SettingsOf<K>;
  secret: string | undefined;
}

/** How connected clients reach their servers: the connections' SSRF policy and one timeout. */
export interface ProtocolOptions {
  policy: import('../common/ssrf').OutboundPolicy;
  timeoutMs: number;
}
