import { isIP } from 'node:net';
import { Agent, Headers as UndiciHeaders, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import type { OutboundPolicy } from '../common/ssrf';

const MAX_REDIRECTS = 5;
/** Headers kept when a request leaves the credential's origin (a redirect, an href elsewhere). */
export const NEUTRAL_HEADERS = new Set(['accept', 'accept-language', 'content-type', 'depth', 'prefer', 'user-agent']);

/**
 * A `fetch` whose every connection passes the SSRF policy on the address it reaches: names are
 * resolved by the policy's checking lookup, IP literals checked before the request. Redirects are
 * followed here, hop by hop, so each new destination is checked too, and credentials
 * (any header but a few neutral ones) are not carried to another origin. For clients that take a fetch of their own
 * (tsdav).
 */
/**
 * The connection pools of a policy, made once and shared by every fetch under it: a fetch per
 * skill call must not leave two pools of idle sockets behind each time. A pooled socket was
 * checked when it connected.
 */
const pools = new WeakMap<OutboundPolicy, Map<number, { checked: Agent; open: Agent }>>();

function agentsFor(policy: OutboundPolicy, timeoutMs: number): { checked: Agent; open: Agent } {
  let byTimeout = pools.get(policy);
  if (!byTimeout) pools.set(policy, (byTimeout = new Map<number, { checked: Agent; open: Agent }>()));
  let agents = byTimeout.get(timeoutMs);
  if (!agents) {
    agents = {
      checked: new Agent({ connect: { lookup: policy.lookup, timeout: timeoutMs }, keepAliveTimeout: 4_000 }),
      open: new Agent({ connect: { timeout: timeoutMs }, keepAliveTimeout: 4_000 }),
    };
    byTimeout.set(timeoutMs, agents);
  }
  return agents;
}

export function guardedFetch(policy: OutboundPolicy, timeoutMs: number): typeof fetch {
  const { checked, open } = agentsFor(policy, timeoutMs);
  const dispatcherFor = (url: URL) => {
    const port = url.port || (url.protocol === 'https:' ? '443' : '80');
    if (policy.isAllowListed(url.hostname, port)) return open;
    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    // A literal address is connected to without a lookup: it is checked here instead.
    if (isIP(host) !== 0) policy.check(host, host);
    return checked;
  };
  return async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    let url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const origin = url.origin;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    let request = { ...(init as UndiciRequestInit) };
    for (let hop = 0; ; hop++) {
      const response = await undiciFetch(url, {
        ...request,
        signal,
        redirect: 'manual',
        dispatcher: dispatcherFor(url),
      });
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location || hop === MAX_REDIRECTS) {
        return response;
      }
      await response.body?.cancel();
      url = new URL(location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`redirect to ${url.protocol} refused`);
      const headers = new UndiciHeaders(request.headers);
      // Another origin gets none of the caller's headers that could carry a credential (an API
      // key may travel in a header of any name): only those that describe the request.
      if (url.origin !== origin) {
        for (const name of [...headers.keys()]) if (!NEUTRAL_HEADERS.has(name)) headers.delete(name);
      }
      request =
        response.status === 303 ? { ...request, method: 'GET', body: undefined, headers } : { ...request, headers };
    }
  };
}
