import ipaddr from 'ipaddr.js';
import { promises as dnsPromises, lookup as dnsLookup, LookupAddress, LookupOptions } from 'node:dns';
import { Agent as HttpAgent, AgentOptions } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * The range an address belongs to when it is not a public unicast address (`loopback`, `private`,
 * `linkLocal` — where cloud metadata lives at 169.254.169.254 —, `uniqueLocal`, `multicast`,
 * `unspecified`, `reserved`, ...), or undefined when it is public. IPv4-mapped IPv6 addresses
 * (::ffff:127.0.0.1) are judged as the IPv4 address they carry. Classification is ipaddr.js's.
 */
export function blockedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'invalid';
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv6') {
    // ::/96, the deprecated IPv4-compatible form: `[::127.0.0.1]` is written `::7f00:1` by the URL
    // parser, which ipaddr.js calls unicast. Nothing legitimate lives there.
    const words = (parsed as ipaddr.IPv6).parts;
    const v4Compatible = words.slice(0, 6).every((w) => w === 0) && (words[6] !== 0 || words[7] > 1);
    if (v4Compatible) return 'ipv4Compatible';
  }
  const range = ipaddr.process(address).range();
  return range === 'unicast' ? undefined : range;
}

/** A connection was refused because the address it would reach is not public. */
export class SsrfBlockedError extends Error {
  override readonly name = 'SsrfBlockedError';
  readonly code = 'ERR_SSRF_BLOCKED';

  constructor(
    readonly host: string,
    readonly address: string,
    readonly range: string,
    readonly allowListVariable: string,
  ) {
    const target = host === address ? address : `${host} resolves to ${address}, which`;
    super(
      `blocked by SSRF protection: ${target} is not a public address (${range}); ` +
        `only public addresses are reachable unless host[:port] is listed in ${allowListVariable}`,
    );
  }
}

/** The SsrfBlockedError anywhere in an error's cause chain (clients wrap socket errors). */
export function findSsrfBlock(error: unknown): SsrfBlockedError | undefined {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e instanceof SsrfBlockedError) return e;
  }
  return undefined;
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * Where a component may connect: public unicast addresses, plus the `host` or `host:port`
 * entries of its own allow-list (AOS_HTTP_ALLOW_HOSTS for http_call; webhooks and connections
 * have theirs, so allowing one private target never opens it to the others). The check is made
 * on the address each connection actually reaches, after DNS resolution, so a public name that
 * resolves to a private address, or a redirect to one, is refused too.
 */
export class OutboundPolicy {
  private readonly allowed: Set<string>;
  private readonly guardedHttp: HttpAgent;
  private readonly guardedHttps: HttpsAgent;
  private readonly plainHttp: HttpAgent;
  private readonly plainHttps: HttpsAgent;

  constructor(
    allowHosts: string[],
    readonly allowListVariable: string,
  ) {
    this.allowed = new Set(allowHosts.map((h) => h.toLowerCase()));
    const options: AgentOptions = { keepAlive: false };
    this.guardedHttp = new GuardedHttpAgent(this, options);
    this.guardedHttps = new GuardedHttpsAgent(this, options);
    this.plainHttp = new HttpAgent(options);
    this.plainHttps = new HttpsAgent(options);
  }

  isAllowListed(host: string, port: number | string): boolean {
    const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
    return this.allowed.has(name) || this.allowed.has(`${name}:${port}`) || this.allowed.has(`[${name}]:${port}`);
  }

  /** Throws SsrfBlockedError unless `address` may be reached for `host`. */
  check(host: string, address: string): void {
    const range = blockedRange(address);
    if (range) throw new SsrfBlockedError(host, address, range, this.allowListVariable);
  }

  /** Agents for an http(s) URL: plain ones for an allow-listed host, guarded ones otherwise. */
  agentsFor(url: URL): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.isAllowListed(url.hostname, port)
      ? { httpAgent: this.plainHttp, httpsAgent: this.plainHttps }
      : { httpAgent: this.guardedHttp, httpsAgent: this.guardedHttps };
  }

  /** A `dns.lookup` replacement that refuses every non-public address it resolves to. */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      try {
        for (const { address } of addresses) this.check(hostname, address);
      } catch (blocked) {
        return callback(blocked as SsrfBlockedError, []);
      }
      if (options.all) return callback(null, addresses);
      const [first] = addresses;
      callback(null, first.address, first.family);
    });
  };

  /**
   * Checks a destination ahead of time (a webhook URL when it is registered): an IP literal as it
   * is, a name by resolving it now. Throws SsrfBlockedError, or the DNS error when the name does
   * not resolve within `timeoutMs`. Each connection is still checked when it is made: DNS may
   * answer differently later.
   */
  async checkDestination(url: URL, timeoutMs = 5_000): Promise<void> {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    await this.connectTarget(url.hostname, port, timeoutMs);
  }

  /**
   * Why `url` is refused ahead of time, or undefined: the policy's refusal, or (`unresolved`) that
   * its name does not resolve; `peer` names what AOS must reach there, for the message.
   */
  async destinationRefusal(
    url: URL,
    peer: string,
    timeoutMs = 5_000,
  ): Promise<{ message: string; unresolved: boolean } | undefined> {
    try {
      await this.checkDestination(url, timeoutMs);
      return undefined;
    } catch (error) {
      if (error instanceof SsrfBlockedError) return { message: error.message, unresolved: false };
      const code = (error as NodeJS.ErrnoException).code;
      return {
        message: `${url.hostname} could not be resolved (${code ?? (error as Error).message}); AOS must reach the ${peer}`,
        unresolved: true,
      };
    }
  }

  /**
   * Where a client that connects by itself (SMTP, IMAP) should connect: an allow-listed host as
   * it is; otherwise the address the name resolves to now, every address checked. Connecting to
   * that address (TLS still verified against the name) means no second resolution can point the
   * connection anywhere else. Throws SsrfBlockedError, or the DNS error.
   */
  async connectTarget(hostname: string, port: number | string, timeoutMs = 5_000): Promise<string> {
    if (this.isAllowListed(hostname, port)) return hostname;
    const host = hostname.replace(/^\[(.*)\]$/, '$1');
    if (isIP(host) !== 0) {
      this.check(host, host);
      return host;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(
        () =>
          reject(Object.assign(new Error(`resolving ${host} took longer than ${timeoutMs} ms`), { code: 'ETIMEOUT' })),
        timeoutMs,
      );
    });
    try {
      const addresses = await Promise.race([dnsPromises.lookup(host, { all: true }), timeout]);
      for (const { address } of addresses) this.check(host, address);
      return addresses[0].address;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Connection options for a client that connects by itself (not through an http Agent): checks
   * an IP literal at once, and gives a guarded lookup for a name. Allow-listed hosts are untouched.
   */
  guardConnection(host: string, port: number): { lookup?: OutboundPolicy['lookup'] } {
    if (this.isAllowListed(host, port)) return {};
    if (isIP(host) !== 0) this.check(host, host);
    return { lookup: this.lookup };
  }
}

interface ConnectionOptions {
  host?: string | null;
  hostname?: string | null;
  lookup?: unknown;
}
type ConnectionCallback = (error: Error | null, socket: Duplex) => void;

/** Refuses an IP literal before connecting; names go through the policy's lookup. */
function guardedConnection(
  policy: OutboundPolicy,
  options: ConnectionOptions,
  callback: ConnectionCallback | undefined,
  connect: (options: ConnectionOptions) => Duplex | null | undefined,
): Duplex | null | undefined {
  const host = options.host ?? options.hostname ?? undefined;
  if (host && isIP(host) !== 0) {
    try {
      policy.check(host, host);
    } catch (blocked) {
      const socket = new Socket();
      if (callback) callback(blocked as Error, socket);
      else socket.destroy(blocked as Error);
      return socket;
    }
  }
  return connect({ ...options, lookup: policy.lookup });
}

class GuardedHttpAgent extends HttpAgent {
  constructor(
    private readonly policy: OutboundPolicy,
    options: AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ConnectionOptions, callback?: ConnectionCallback): Duplex | null | undefined {
    return guardedConnection(this.policy, options, callback, (o) => super.createConnection(o as never, callback));
  }
}

class GuardedHttpsAgent extends HttpsAgent {
  constructor(
    private readonly policy: OutboundPolicy,
    options: AgentOptions,
  ) {
    super(options);
  }

  override createConnection(options: ConnectionOptions, callback?: ConnectionCallback): Duplex | null | undefined {
    return guardedConnection(this.policy, options, callback, (o) => super.createConnection(o as never, callback));
  }
}
