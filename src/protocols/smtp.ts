import { isIP } from 'node:net';
import { createTransport, type Transporter } from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import type { ConnectionKind } from './connection-kind.enum';
import type { ProtocolOptions, ResolvedConnection } from './resolved-connection';

/**
 * A nodemailer SMTP transport for one use. It connects to the address the SSRF policy approved
 * (TLS still checked against the host name), with the connection's TLS mode: `tls` from the
 * start, `starttls` required, `none` never. Its own logging is off: nothing of the exchange
 * (AUTH included) reaches a log.
 */
export async function smtpTransport(
  connection: ResolvedConnection<ConnectionKind.Smtp>,
  options: ProtocolOptions,
): Promise<Transporter<SMTPTransport.SentMessageInfo>> {
  const { host, port, tls, username, from } = connection.settings;
  const target = await options.policy.connectTarget(host, port, options.timeoutMs);
  return createTransport({
    host: target,
    port,
    secure: tls === 'tls',
    requireTLS: tls === 'starttls',
    ignoreTLS: tls === 'none',
    auth: connection.secret === undefined ? undefined : { user: username ?? from, pass: connection.secret },
    tls: isIP(host) === 0 ? { servername: host } : undefined,
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    dnsTimeout: options.timeoutMs,
    logger: false,
    debug: false,
  });
}
