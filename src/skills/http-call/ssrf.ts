import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from 'request-filtering-agent';

/**
 * Outbound connections of skills. By default they go through request-filtering-agent, which
 * checks the address each connection actually reaches (after DNS resolution, on every redirect
 * hop since each hop is a new connection) and refuses loopback, private, link-local (cloud
 * metadata at 169.254.169.254), multicast, unspecified and other non-unicast ranges. Hosts in
 * AOS_HTTP_ALLOW_HOSTS (`host` or `host:port`) use a plain agent instead.
 */
export class OutboundPolicy {
  private readonly filteringHttp = new RequestFilteringHttpAgent({ keepAlive: false });
  private readonly filteringHttps = new RequestFilteringHttpsAgent({ keepAlive: false });
  private readonly plainHttp = new HttpAgent({ keepAlive: false });
  private readonly plainHttps = new HttpsAgent({ keepAlive: false });
  private readonly allowed: Set<string>;

  constructor(allowHosts: string[]) {
    this.allowed = new Set(allowHosts.map((h) => h.toLowerCase()));
  }

  isAllowListed(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    return this.allowed.has(host) || this.allowed.has(`${host}:${port}`);
  }

  agentsFor(url: URL): { httpAgent: HttpAgent; httpsAgent: HttpsAgent } {
    return this.isAllowListed(url)
      ? { httpAgent: this.plainHttp, httpsAgent: this.plainHttps }
      : { httpAgent: this.filteringHttp, httpsAgent: this.filteringHttps };
  }
}

/**
 * The filter's refusal, recognised from its message (the library throws plain Errors), turned
 * into a message that says what was blocked and why.
 */
export function ssrfRefusal(error: unknown, url: URL): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /DNS lookup (\S+?)\(family:[^)]*\) is not allowed\. Because,? (?:It is )?(.+?)\.?$/.exec(message);
  if (!match) return undefined;
  const [, address, reason] = match;
  const target = url.hostname === address ? address : `${url.hostname} resolves to ${address}, which`;
  return (
    `blocked by SSRF protection: ${target} is not a public address (${reason.toLowerCase()}); ` +
    'only public addresses are reachable unless host[:port] is listed in AOS_HTTP_ALLOW_HOSTS'
  );
}
