import { connect, createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface CutPolicy {
  /** A connection is cut (or stalled) once the server sent this many SSE events on it… */
  afterEvents: number;
  /** …and a few bytes of the next one, so the client holds half a frame when it happens. */
  partialBytes?: number;
  /** cut: both sockets reset, as a network drop. stall: nothing more is forwarded, sockets stay open. */
  mode: 'cut' | 'stall';
  /** Cut at most this many connections; later ones pass through untouched. */
  maxCuts: number;
}

/**
 * A TCP proxy in front of the app that drops Server-Sent Events connections part-way through a
 * frame, to prove a client resumes without gaps or duplicates. Requests pass through unchanged;
 * answers without `id:` lines (ordinary JSON) are never cut.
 */
export class CuttingProxy {
  cuts = 0;
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly upstreamPort: number,
    private readonly policy: CutPolicy,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket): void {
    const upstream = connect(this.upstreamPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk) => upstream.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    // latin1 keeps one character per byte, so offsets in the text are offsets in the stream.
    let received = '';
    let forwarded = 0;
    let done = false;
    upstream.on('data', (chunk: Buffer) => {
      if (done) return;
      received += chunk.toString('latin1');
      const cutAt = this.cuts < this.policy.maxCuts ? this.cutOffset(received) : undefined;
      const until = cutAt === undefined ? received.length : Math.min(cutAt, received.length);
      client.write(Buffer.from(received.slice(forwarded, until), 'latin1'));
      forwarded = until;
      if (cutAt === undefined || cutAt > received.length) return;
      done = true;
      this.cuts++;
      if (this.policy.mode === 'cut') {
        client.resetAndDestroy();
        upstream.destroy();
      }
    });
  }

  /** Where to cut: a few bytes into the event after the allowed ones (undefined: not that far yet). */
  private cutOffset(text: string): number | undefined {
    const starts = [...text.matchAll(/(?:^|\n)id: /g)].map((m) => m.index + (m[0].startsWith('\n') ? 1 : 0));
    const next = starts[this.policy.afterEvents];
    return next === undefined ? undefined : next + (this.policy.partialBytes ?? 6);
  }
}
