import { TEST_API_KEY } from './test-app';

export interface SseEvent {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/**
 * A minimal Server-Sent Events client over fetch, for tests: collects events and comments as they
 * arrive, can wait for a condition, and can be cut (like a dropped connection).
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  headers: Headers | undefined;
  ended = false;
  private readonly controller = new AbortController();
  private done: Promise<void> = Promise.resolve();
  private waiters: (() => void)[] = [];

  static async open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    const res = await fetch(url, {
      headers: { 'x-aos-key': TEST_API_KEY, accept: 'text/event-stream', ...headers },
      signal: client.controller.signal,
    });
    client.status = res.status;
    client.headers = res.headers;
    if (res.status !== 200 || !res.body) {
      client.ended = true;
      client.body = await res.text();
      return client;
    }
    client.done = client.read(res.body);
    return client;
  }

  body = '';

  /** Parsed JSON `data:` of every event received so far. */
  get envelopes(): { id: number; type: string; run_id: string | null; data: Record<string, unknown> }[] {
    return this.events.map((e) => JSON.parse(e.data));
  }

  async until(predicate: (client: SseClient) => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this)) {
      if (Date.now() > deadline) {
        throw new Error(
          `SSE condition not met in ${timeoutMs} ms; got ${JSON.stringify(this.events.map((e) => e.event))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops the connection, as a network would. */
  async close(): Promise<void> {
    this.controller.abort();
    await this.done.catch(() => undefined);
  }

  /** Resolves when the server ends the stream. */
  async finished(timeoutMs = 10_000): Promise<void> {
    await this.until((c) => c.ended, timeoutMs);
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          this.frame(buffer.slice(0, boundary));
          buffer = buffer.slice(boundary + 2);
        }
        this.notify();
      }
    } catch {
      // aborted
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private frame(text: string): void {
    const event: SseEvent = { id: undefined, event: undefined, data: '' };
    let hasData = false;
    for (const line of text.split('\n')) {
      if (line.startsWith(':')) this.comments.push(line.slice(1).trim());
      else if (line.startsWith('id: ')) event.id = line.slice(4);
      else if (line.startsWith('event: ')) event.event = line.slice(7);
      else if (line.startsWith('data: ')) {
        event.data += (hasData ? '\n' : '') + line.slice(6);
        hasData = true;
      }
    }
    if (hasData) this.events.push(event);
  }

  private notify(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }
}
