import { AosClient } from './client.js';
import { AosApiError, AosConnectionError } from './errors.js';
import type { Run } from './types.js';

/** What the server does with one request: answer with a run, refuse with a status, or not answer. */
type Answer = { run: Partial<Run> } | { status: number; detail: string } | { lost: string };

/** A fetch that plays one answer per request and records when each was asked. */
function scriptedFetch(answers: Answer[]) {
  const asked: { url: string; at: number }[] = [];
  const fetch = (input: string | URL | Request): Promise<Response> => {
    asked.push({ url: input instanceof Request ? input.url : String(input), at: Date.now() });
    const answer = answers.shift();
    if (!answer) return Promise.reject(new Error('no more answers scripted'));
    if ('lost' in answer) return Promise.reject(new TypeError('fetch failed', { cause: { code: answer.lost } }));
    if ('status' in answer) return Promise.resolve(Response.json({ detail: answer.detail }, { status: answer.status }));
    return Promise.resolve(Response.json({ id: 'r', agent_id: 'a', pending_approvals: [], ...answer.run }));
  };
  return { fetch, asked };
}

const client = (fetch: typeof globalThis.fetch) => new AosClient({ baseUrl: 'http://aos.test', apiKey: 'k', fetch });

describe('waitForRun', () => {
  it('long-polls until the run is settled, but never asks again at once when answered early', async () => {
    const { fetch, asked } = scriptedFetch([
      { run: { status: 'pending' } },
      { run: { status: 'running' } },
      { run: { status: 'completed' } },
    ]);
    const run = await client(fetch).waitForRun('a', 'r', { timeoutMs: 30_000 });
    expect(run.status).toBe('completed');
    expect(asked.map((a) => new URL(a.url).search)).toEqual(['?wait=30', '?wait=30', '?wait=30']);
    // 250 ms apart at least (a little slack for the timers' granularity).
    expect(asked[1].at - asked[0].at).toBeGreaterThanOrEqual(240);
    expect(asked[2].at - asked[1].at).toBeGreaterThanOrEqual(240);
  });

  it('retries a 503 and a lost connection once the server has answered', async () => {
    const { fetch, asked } = scriptedFetch([
      { run: { status: 'running' } },
      { status: 503, detail: 'restarting' },
      { lost: 'ECONNRESET' },
      { run: { status: 'failed' } },
    ]);
    expect((await client(fetch).waitForRun('a', 'r')).status).toBe('failed');
    expect(asked).toHaveLength(4);
    // Backoff: 250 ms, then 500 ms.
    expect(asked[3].at - asked[2].at).toBeGreaterThanOrEqual(490);
  });

  it('fails at once on a server never reached or a refusal, and after retryForMs on a lasting outage', async () => {
    const never = scriptedFetch([{ lost: 'ECONNREFUSED' }, { run: { status: 'completed' } }]);
    await expect(client(never.fetch).waitForRun('a', 'r')).rejects.toBeInstanceOf(AosConnectionError);
    expect(never.asked).toHaveLength(1);

    const refused = scriptedFetch([{ run: { status: 'running' } }, { status: 404, detail: 'Run not found' }]);
    await expect(client(refused.fetch).waitForRun('a', 'r')).rejects.toMatchObject({ status: 404 });
    expect(refused.asked).toHaveLength(2);

    const outage = scriptedFetch([
      { run: { status: 'running' } },
      ...Array.from({ length: 10 }, () => ({ status: 502, detail: 'Bad Gateway' })),
    ]);
    const started = Date.now();
    const failed = client(outage.fetch).waitForRun('a', 'r', { retryForMs: 600 });
    await expect(failed).rejects.toBeInstanceOf(AosApiError);
    await expect(failed).rejects.toMatchObject({ status: 502 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outage.asked.length).toBeLessThan(8);
  });
});

describe('the client', () => {
  it('refuses a key that cannot be a header, and a URL with a password, without quoting either', () => {
    const tryKey = () => new AosClient({ apiKey: 'SECRET\nKEY' });
    expect(tryKey).toThrow(TypeError);
    expect(tryKey).not.toThrow(/SECRET/);
    const tryUrl = () => new AosClient({ baseUrl: 'http://sam:hunter2@aos.test' });
    expect(tryUrl).toThrow(TypeError);
    expect(tryUrl).not.toThrow(/hunter2/);
    expect(() => new AosClient({ baseUrl: '/api', apiKey: 'k-1' })).not.toThrow();
  });
});

describe('the tenant option', () => {
  it('sends X-AOS-Tenant (and the key) on every request, the event streams included', async () => {
    const seen: Headers[] = [];
    const fetch = (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      seen.push(input instanceof Request ? input.headers : new Headers(init?.headers));
      if (String(input instanceof Request ? input.url : input).endsWith('/events/stream'))
        return Promise.resolve(new Response('', { status: 404 }));
      return Promise.resolve(Response.json({ items: [], next_cursor: null }));
    };
    const aos = new AosClient({ baseUrl: 'http://aos.test', apiKey: 'k', tenant: 'acme', fetch });
    await aos.listAgents();
    await aos.listKeys('acme');
    await expect(aos.agentEvents('a', { maxRetries: 0 }).next()).rejects.toMatchObject({ status: 404 });
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const headers of seen) {
      expect(headers.get('x-aos-tenant')).toBe('acme');
      expect(headers.get('x-aos-key')).toBe('k');
    }
    const plain: Headers[] = [];
    const untenanted = new AosClient({
      baseUrl: 'http://aos.test',
      fetch: (input) => {
        plain.push((input as Request).headers);
        return Promise.resolve(Response.json({ items: [], next_cursor: null }));
      },
    });
    await untenanted.listTenants();
    expect(plain[0].has('x-aos-tenant')).toBe(false);
  });

  it('refuses a tenant that cannot be a header, without quoting it', () => {
    const tryTenant = () => new AosClient({ tenant: 'acme\nSECRET' });
    expect(tryTenant).toThrow(TypeError);
    expect(tryTenant).not.toThrow(/SECRET/);
  });
});
