import { SMTPServer } from 'smtp-server';
import { findFreePort } from '../../src/common/free-port';

/** One message as the server received it: the SMTP envelope and the raw RFC 5322 text. */
export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
}

/**
 * The header fields of a raw message, keyed by lower-case name, each with every value in order
 * (unfolded, trimmed). Only the header block is read: the body may hold lines that look alike.
 */
export function headers(raw: string): Record<string, string[]> {
  const block = raw.split(/\r?\n\r?\n/, 1)[0];
  const fields: Record<string, string[]> = {};
  for (const line of block.replace(/\r?\n(?=[ \t])/g, '').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    (fields[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return fields;
}

/** The Message-ID of a raw message without its angle brackets, or undefined when it has none. */
export function messageIdOf(raw: string): string | undefined {
  const value = headers(raw)['message-id']?.[0];
  return value?.replace(/^<|>$/g, '');
}

/**
 * A real SMTP server (the `smtp-server` package, the one nodemailer is tested against) on a free
 * port of 127.0.0.1: plain text (no STARTTLS), AUTH required and accepted only for its fixed
 * user, every message kept in `received`.
 */
export class SmtpTestServer {
  readonly user = 'mailer';
  readonly password = 'smtp-Secret-3e92aa';
  readonly host = '127.0.0.1';
  readonly received: ReceivedMail[] = [];
  port = 0;
  private server: SMTPServer | undefined;

  async start(): Promise<this> {
    this.port ||= await findFreePort();
    const server = new SMTPServer({
      secure: false,
      // Without TLS a client must be allowed to AUTH in the clear, and must not be offered STARTTLS
      // (there is no certificate to upgrade to).
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authOptional: false,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (auth.username === this.user && auth.password === this.password) callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.once('error', callback);
        stream.once('end', () => {
          const { mailFrom, rcptTo } = session.envelope;
          this.received.push({
            from: mailFrom ? mailFrom.address : '',
            to: rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => {
        server.off('error', reject);
        // Later errors are a client's connection failing (a reset, a timeout): the client sees
        // those itself, and an 'error' event without a listener would crash the test run.
        server.on('error', () => undefined);
        resolve();
      });
    });
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
