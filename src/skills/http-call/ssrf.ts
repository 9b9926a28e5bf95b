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

/** The filter's refusal, recognised from its message (the library throws plain Errors). */
export function ssrfRefusal(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : String(error);
  const match = /DNS lookup (\S+)\(family:\d+, host:([^)]*)\) is not allowed\. Because, It is (.+?)\.?$/.exec(message);
  if (!match) return undefined;
  const [, address, host, reason] = match;
  return (
    `blocked by SSRF protection: ${host} resolves to ${address}, a ${reason!.replace(/ address$/i, '')} address; ` +
    'only public addresses are reachable unless the host is listed in AOS_HTTP_ALLOW_HOSTS'
  );
}
