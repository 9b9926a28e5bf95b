import { ImapFlow } from 'imapflow';
import { isIP } from 'node:net';
import type { ConnectionKind } from './connection-kind.enum';
import type { ProtocolOptions, ResolvedConnection } from './resolved-connection';

/**
 * Runs `work` on an imapflow client logged in to the connection's server, and logs out after
 * (also when `work` fails). Connects to the address the SSRF policy approved, TLS checked against
 * the host name; imapflow's own logger is off.
 */
export async function withImap<T>(
  connection: ResolvedConnection<ConnectionKind.Imap>,
  options: ProtocolOptions,
  work: (client: ImapFlow) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const { host, port, tls, username } = connection.settings;
  const target = await options.policy.connectTarget(host, port, options.timeoutMs);
  const client = new ImapFlow({
    host: target,
    port,
    secure: tls === 'tls',
    doSTARTTLS: tls === 'starttls' ? true : tls === 'none' ? false : undefined,
    servername: isIP(host) === 0 ? host : undefined,
    auth: { user: username, pass: connection.secret ?? '' },
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
  });
  // Errors after connect arrive as events; without a listener they would crash the process.
  client.on('error', () => undefined);
  const abort = () => client.close();
  signal?.addEventListener('abort', abort, { once: true });
  try {
    await client.connect();
    return await work(client);
  } finally {
    signal?.removeEventListener('abort', abort);
    await client.logout().catch(() => client.close());
  }
}
