import { connect, Socket } from 'node:net';
import { SseClient } from './support/sse-client';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

/** A raw connection to the server: what it answered, and when it closed. */
class RawClient {
  readonly socket: Socket;
  data = '';
  closedAt: number | undefined;
  private readonly opened = Date.now();
  private readonly ready: Promise<void>;

  constructor(port: number) {
    this.socket = connect({ host: '127.0.0.1', port });
    this.ready = new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('data', (chunk: Buffer) => (this.data += chunk.toString()));
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => (this.closedAt = Date.now() - this.opened));
  }

  async send(text: string): Promise<void> {
    await this.ready;
    this.socket.write(text);
  }

  /** Resolves once the answer's status line is in, with the status (or rejects after `ms`). */
  async status(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    while (!/^HTTP\/1\.1 (\d{3})/.test(this.data)) {
      if (Date.now() > deadline || this.closedAt !== undefined) {
        throw new Error(`no answer within ${ms} ms (got ${JSON.stringify(this.data.slice(0, 200))})`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(this.data)![1]);
  }

  async closed(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.closedAt === undefined) {
      if (Date.now() > deadline) throw new Error(`still open after ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
    return this.closedAt;
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/**
 * Clients that hold connections: the credential is checked before any body is read, and slow
 * requests, idle keep-alives and too many connections are cut at the configured bounds, while
 * streams and long-polls keep their own.
 */
describe('slow clients are bounded', () => {
  let t: TestApp;
  let url: string;
  let port: number;
  const clients: RawClient[] = [];
  const raw = () => {
    const client = new RawClient(port);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    t = await startTestApp({
      HOST: '127.0.0.1',
      PORT: '0',
      AOS_REQUEST_TIMEOUT_MS: '1500',
      AOS_HEADERS_TIMEOUT_MS: '1000',
      AOS_KEEPALIVE_TIMEOUT_MS: '500',
      AOS_IDLE_TIMEOUT_MS: '1000',
      AOS_MAX_CONNECTIONS: '24',
      AOS_SSE_HEARTBEAT_MS: '5000',
    });
    url = await t.server.listen();
    port = Number(new URL(url).port);
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('a request without a key that announces a body it never sends gets 401 at once', async () => {
    const c = raw();
    await c.send('POST /agents HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n');
    const started = Date.now();
    expect(await c.status(800)).toBe(401);
    expect(Date.now() - started).toBeLessThan(800);
    expect(c.data).toContain(
      '"detail":"Missing credential: send an API key in the X-AOS-Key header, or a token as Authorization: Bearer"',
    );
  });

  it('a deep JSON body without a key is refused 401 before it is parsed (not 422)', async () => {
    const deep = '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000);
    const res = await t.request({
      method: 'POST',
      url: '/agents',
      auth: false,
      headers: { 'content-type': 'application/json' },
      payload: deep,
    });
    expect(res.statusCode).toBe(401);
    const wrong = await t.request({
      method: 'POST',
      url: '/agents',
      auth: false,
      headers: { 'content-type': 'application/json', 'x-aos-key': 'wrong' },
      payload: deep,
    });
    expect(wrong.statusCode).toBe(401);
  });

  it('a body trickled at one byte per 200 ms with a key is cut at AOS_REQUEST_TIMEOUT_MS with 408', async () => {
    const c = raw();
    await c.send(
      `POST /agents HTTP/1.1\r\nHost: x\r\nX-AOS-Key: ${TEST_API_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`,
    );
    const trickle = setInterval(() => c.socket.writable && c.socket.write('{'), 200);
    try {
      expect(await c.status(4_000)).toBe(408);
      expect(c.data).toContain('"detail":"The request was not received in time"');
      expect(await c.closed(2_000)).toBeLessThan(4_000);
    } finally {
      clearInterval(trickle);
    }
  });

  it('headers that never end are cut at AOS_HEADERS_TIMEOUT_MS', async () => {
    const c = raw();
    await c.send('GET /health HTTP/1.1\r\nHost: x\r\n');
    const trickle = setInterval(() => c.socket.writable && c.socket.write('X-A: b\r\n'), 200);
    try {
      expect(await c.status(3_500)).toBe(408);
      expect(await c.closed(2_000)).toBeLessThan(3_500);
    } finally {
      clearInterval(trickle);
    }
  });

  it('an idle keep-alive connection is closed after AOS_KEEPALIVE_TIMEOUT_MS', async () => {
    const c = raw();
    await c.send('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(await c.status(2_000)).toBe(200);
    expect(await c.closed(3_000)).toBeLessThan(2_500);
  });

  it('refuses connections past AOS_MAX_CONNECTIONS', async () => {
    const held = Array.from({ length: 24 }, () => raw());
    await Promise.all(held.map((c) => c.send('GET /health/live HTTP/1.1\r\nHost: x\r\n')));
    await new Promise((r) => setTimeout(r, 200));
    const extra = raw();
    await extra.send('GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n').catch(() => undefined);
    expect(await extra.closed(1_000)).toBeLessThan(1_000);
    expect(extra.data).toBe('');
  });

  it('a stream and a long-poll outlive AOS_IDLE_TIMEOUT_MS: they keep their own bounds', async () => {
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'quiet' } })).json().id as string;
    const stream = await SseClient.open(`${url}/agents/${agent}/events/stream`);
    expect(stream.status).toBe(200);
    await t.request({ method: 'POST', url: `/agents/${agent}/pause` });
    const run = (
      await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: 'wait for me' } })
    ).json().run_id as string;
    const started = Date.now();
    const polled = await fetch(`${url}/agents/${agent}/runs/${run}?wait=2`, { headers: { 'x-aos-key': TEST_API_KEY } });
    expect(polled.status).toBe(200);
    expect(((await polled.json()) as { status: string }).status).toBe('pending');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
    // Quiet for longer than the idle timeout (no heartbeat yet), and still open.
    expect(stream.ended).toBe(false);
    await t.request({ method: 'POST', url: `/agents/${agent}/resume` });
    await stream.until((s) => s.events.some((e) => e.event === 'agent.resumed'));
    await stream.close();
  });
});
