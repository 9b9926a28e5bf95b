import { AosApiError, AosConnectionError } from './errors.js';
import { eventStream, type StreamTransport } from './event-stream.js';
import type { AosEvent } from './types.js';

const frame = (id: number, type = 'run.step.started') =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ id, type, agent_id: 'a', run_id: 'r', created_at: '', data: {} })}\n\n`;

/** What one connection does: send chunks, then end, fail, or hang; or answer with a status. */
type Script =
  | { chunks: string[]; then: 'end' | 'error' | 'hang' }
  | { status: number; body: string; type?: string }
  | { refuse: true };

/** A fetch that plays one script per connection and records the headers of each. */
function scriptedTransport(scripts: Script[]): StreamTransport & { requests: Record<string, string>[] } {
  const requests: Record<string, string>[] = [];
  const encoder = new TextEncoder();
  return {
    requests,
    url: (path) => `http://aos.test${path}`,
    headers: () => ({ 'X-AOS-Key': 'k' }),
    fetch: (_input, init) => {
      requests.push({ ...(init?.headers as Record<string, string>) });
      const script = scripts.shift();
      if (!script) throw new Error('no more connections scripted');
      if ('refuse' in script) return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }));
      if ('status' in script) {
        const headers = script.type ? { 'content-type': script.type } : undefined;
        return Promise.resolve(new Response(script.body, { status: script.status, headers }));
      }
      // Chunks are handed out as they are read: erroring a stream drops what it still queues.
      const chunks = [...script.chunks];
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        },
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk !== undefined) controller.enqueue(encoder.encode(chunk));
          else if (script.then === 'end') controller.close();
          else if (script.then === 'error') controller.error(new TypeError('terminated'));
          else return new Promise<void>(() => undefined);
        },
      });
      return Promise.resolve(new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } }));
    },
  };
}

async function collect(stream: AsyncGenerator<AosEvent>): Promise<number[]> {
  const ids: number[] = [];
  for await (const event of stream) ids.push(event.id);
  return ids;
}

const isLast = (e: AosEvent) => e.type === 'run.completed';

describe('the event stream', () => {
  it('resumes a dropped connection from the last whole event: no partial frame, no duplicate, no gap', async () => {
    const transport = scriptedTransport([
      // Dropped in the middle of event 3: it must not be yielded from half a frame.
      { chunks: ['retry: 1000\n\n', frame(1), frame(2), frame(3).slice(0, 12)], then: 'error' },
      // The server resends 2 (as a resume point it should not: the client drops it) then goes on.
      { chunks: [frame(2), frame(3), frame(4).slice(0, 5), frame(4).slice(5)], then: 'error' },
      { chunks: [frame(5), frame(6, 'run.completed'), frame(7)], then: 'hang' },
    ]);
    const reconnects: number[] = [];
    const ids = await collect(
      eventStream(
        transport,
        '/s',
        { reconnectDelayMs: 1, onReconnect: (r) => reconnects.push(r.lastEventId) },
        { isLast },
      ),
    );
    expect(ids).toEqual([1, 2, 3, 4, 5, 6]);
    expect(transport.requests.map((h) => h['last-event-id'])).toEqual([undefined, '2', '4']);
    expect(transport.requests[0]).toMatchObject({ 'X-AOS-Key': 'k', accept: 'text/event-stream' });
    expect(reconnects).toEqual([2, 4]);
  });

  it('starts after `after` and asks the caller whether a clean end is the end', async () => {
    const asked: boolean[] = [];
    const transport = scriptedTransport([
      { chunks: [frame(11)], then: 'end' },
      { chunks: [frame(12)], then: 'end' },
    ]);
    const ids = await collect(
      eventStream(
        transport,
        '/s',
        { after: 10, reconnectDelayMs: 1 },
        {
          endedCleanly: () => {
            asked.push(true);
            return Promise.resolve(asked.length === 2);
          },
        },
      ),
    );
    expect(ids).toEqual([11, 12]);
    expect(transport.requests.map((h) => h['last-event-id'])).toEqual(['10', '11']);
  });

  it('fails at once when the server was never reached, and on a refusal other than 502-504', async () => {
    await expect(collect(eventStream(scriptedTransport([{ refuse: true }]), '/s'))).rejects.toThrow(
      new AosConnectionError('http://aos.test/s', null).message.replace(/: .*$/, ': connection refused'),
    );
    const refused = collect(
      eventStream(scriptedTransport([{ status: 401, body: '{"detail":"Invalid API key"}' }]), '/s'),
    );
    await expect(refused).rejects.toBeInstanceOf(AosApiError);
    await expect(refused).rejects.toMatchObject({ status: 401, detail: 'Invalid API key' });
  });

  it("fails at once on a 200 that is not an event stream (a proxy's page), without retrying it", async () => {
    const transport = scriptedTransport([
      { status: 200, body: '<html><body>Sign in to the Wi-Fi</body></html>', type: 'text/html; charset=utf-8' },
      { chunks: [frame(1, 'run.completed')], then: 'hang' },
    ]);
    const page = collect(eventStream(transport, '/s', { reconnectDelayMs: 1 }, { isLast }));
    await expect(page).rejects.toBeInstanceOf(AosApiError);
    await expect(page).rejects.toMatchObject({ status: 200, detail: 'expected an event stream, got text/html' });
    expect(transport.requests).toHaveLength(1);
  });

  it('retries a 503 and a refused reconnect once it had a stream, then gives up after maxRetries', async () => {
    const ok = scriptedTransport([
      { status: 503, body: '{"detail":"unhealthy"}' },
      { chunks: [frame(1, 'run.completed')], then: 'hang' },
    ]);
    expect(await collect(eventStream(ok, '/s', { reconnectDelayMs: 1 }, { isLast }))).toEqual([1]);

    const down = scriptedTransport([
      { chunks: [frame(1)], then: 'error' },
      { refuse: true },
      { refuse: true },
      { refuse: true },
    ]);
    const ids: number[] = [];
    await expect(
      (async () => {
        for await (const e of eventStream(down, '/s', { reconnectDelayMs: 1, maxRetries: 2 })) ids.push(e.id);
      })(),
    ).rejects.toBeInstanceOf(AosConnectionError);
    expect(ids).toEqual([1]);
    expect(down.requests).toHaveLength(3);
  });

  it('reconnects a connection that went silent (no heartbeat) after idleTimeoutMs', async () => {
    const transport = scriptedTransport([
      { chunks: [frame(1)], then: 'hang' },
      { chunks: [frame(2, 'run.completed')], then: 'hang' },
    ]);
    const errors: unknown[] = [];
    const ids = await collect(
      eventStream(
        transport,
        '/s',
        { idleTimeoutMs: 50, reconnectDelayMs: 1, onReconnect: (r) => errors.push(r.error) },
        { isLast },
      ),
    );
    expect(ids).toEqual([1, 2]);
    expect(String(errors[0])).toMatch(/no data for 50 ms/);
  });

  it('ends quietly when the caller aborts', async () => {
    const controller = new AbortController();
    const transport = scriptedTransport([{ chunks: [frame(1)], then: 'hang' }]);
    const ids: number[] = [];
    for await (const e of eventStream(transport, '/s', { signal: controller.signal })) {
      ids.push(e.id);
      controller.abort();
    }
    expect(ids).toEqual([1]);
  });
});
