import type { FastifyReply } from 'fastify';
import { keepOpen } from '../common/keep-open';

/** A client that stops reading: once this much is waiting in its socket, it is cut (it can resume). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/**
 * One Server-Sent Events response on a Fastify reply: `id:`, `event:`, `data:` frames, a comment
 * heartbeat so proxies keep the connection, and the request's own headers (request id, security).
 */
export class SseStream {
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly closeHandlers: (() => void)[] = [];
  private ended = false;
  /** Every stream this instance serves, so shutdown can end them (an endless response would hold it). */
  private static readonly streams = new Set<SseStream>();

  static get open(): number {
    return SseStream.streams.size;
  }

  static endAll(): void {
    for (const stream of [...SseStream.streams]) stream.end();
  }

  constructor(
    private readonly reply: FastifyReply,
    private readonly heartbeatMs: number,
  ) {}

  get closed(): boolean {
    return this.ended || this.reply.raw.destroyed;
  }

  start(): void {
    const raw = this.reply.raw;
    this.reply.hijack();
    // The client may have gone while the stream was being prepared: its 'close' has passed.
    if (raw.destroyed || raw.socket?.destroyed === true) {
      this.finish();
      return;
    }
    raw.writeHead(200, {
      ...(this.reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      // nginx and similar proxies would otherwise buffer the stream.
      'x-accel-buffering': 'no',
    });
    raw.flushHeaders();
    // A stream keeps its own bound (its heartbeat, the client's reading): not the idle timeout
    // that AOS_IDLE_TIMEOUT_MS puts on every other connection.
    keepOpen(this.reply.request.raw);
    SseStream.streams.add(this);
    this.heartbeat = setInterval(() => this.write(': heartbeat\n\n'), this.heartbeatMs);
    this.heartbeat.unref();
    raw.on('close', () => this.finish());
    // Tell the client how long to wait before it reconnects.
    this.write('retry: 1000\n\n');
  }

  event(id: number, type: string, data: string): void {
    this.write(`id: ${id}\nevent: ${type}\ndata: ${data}\n\n`);
  }

  onClose(handler: () => void): void {
    if (this.ended) handler();
    else this.closeHandlers.push(handler);
  }

  end(): void {
    if (this.ended) return;
    this.reply.raw.end();
    this.finish();
  }

  private write(text: string): void {
    const raw = this.reply.raw;
    if (this.closed) return;
    if (raw.writableLength > MAX_BUFFERED_BYTES) {
      raw.destroy();
      this.finish();
      return;
    }
    raw.write(text);
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    SseStream.streams.delete(this);
    clearInterval(this.heartbeat);
    for (const handler of this.closeHandlers.splice(0)) handler();
  }
}
