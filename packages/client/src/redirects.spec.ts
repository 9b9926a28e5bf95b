import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AosClient } from './client.js';
import { AosApiError } from './errors.js';

/** A local server whose routes redirect or answer, recording what it was sent. */
async function server(
  routes: Record<string, (origin: string) => { status: number; location?: string; body?: unknown }>,
) {
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  const s: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', headers: req.headers });
    const route = routes[(req.url ?? '').split('?')[0]];
    const answer = route ? route(origin) : { status: 404, body: { detail: 'no route' } };
    res.writeHead(answer.status, {
      'content-type': 'application/json',
      ...(answer.location ? { location: answer.location } : {}),
    });
    res.end(JSON.stringify(answer.body ?? {}));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { origin, seen, close: () => new Promise<void>((r) => s.close(() => r())) };
}

describe('redirects', () => {
  it('never sends the key to another origin: the redirect is refused, the other server sees nothing', async () => {
    const elsewhere = await server({ '/agents': () => ({ status: 200, body: { items: [], next_cursor: null } }) });
    const aos = await server({ '/agents': () => ({ status: 302, location: `${elsewhere.origin}/agents` }) });
    try {
      const client = new AosClient({ baseUrl: aos.origin, apiKey: 'the-key' });
      const failure = await client.listAgents().catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(AosApiError);
      expect((failure as AosApiError).status).toBe(302);
      expect((failure as AosApiError).detail).toMatch(/another origin \(the key is never sent there\)/);
      expect(elsewhere.seen).toEqual([]);
    } finally {
      await Promise.all([aos.close(), elsewhere.close()]);
    }
  });

  it('follows a redirect within the same origin for a read, with the key', async () => {
    const aos = await server({
      '/agents': (origin) => ({ status: 307, location: `${origin}/v2/agents` }),
      '/v2/agents': () => ({ status: 200, body: { items: [], next_cursor: null } }),
    });
    try {
      const page = await new AosClient({ baseUrl: aos.origin, apiKey: 'the-key' }).listAgents();
      expect(page).toEqual({ items: [], next_cursor: null });
      expect(aos.seen.map((s) => [s.path.split('?')[0], s.headers['x-aos-key']])).toEqual([
        ['/agents', 'the-key'],
        ['/v2/agents', 'the-key'],
      ]);
    } finally {
      await aos.close();
    }
  });
});
