import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { AosApiError, AosConnectionError } from './errors.js';
import type { AosEvent } from './types.js';

export interface EventStreamOptions {
  /** Start after this event id (the last one the caller has). Omitted: from the oldest kept. */
  after?: number;
  /** An event type or a prefix ending in `.*` (`run.step.*`). */
  type?: string;
  /** Stops the stream: the iterator ends quietly (check `signal.aborted` to tell why it ended). */
  signal?: AbortSignal;
  /**
   * Reconnect when nothing (not even the server's heartbeat comment, every 15 s by default) arrived
   * for this long: a connection that died without a FIN or RST never ends by itself. Default 45 s.
   */
  idleTimeoutMs?: number;
  /** Give up after this many reconnects in a row that brought no new event. Default 10. */
  maxRetries?: number;
  /** Wait before reconnecting (doubled per failure in a row). Default: the server's `retry:` (1 s). */
  reconnectDelayMs?: number;
  /** Told about each reconnect, e.g. to log it. */
  onReconnect?: (info: { attempt: number; lastEventId: number; error: unknown }) => void;
}

/** How a stream reaches the server: the client's base URL, auth headers and fetch. */
export interface StreamTransport {
  url(path: string, query: Record<string, string | undefined>): string;
  headers(): Record<string, string>;
  fetch: typeof globalThis.fetch;
}

export interface StreamEnd {
  /** True for the event after which the server ends the stream (a run's terminal event). */
  isLast?: (event: AosEvent) => boolean;
  /**
   * The server ended the stream without that event (a type filter hid it, or the server is
   * shutting down): whether the stream is over; otherwise it is resumed.
   */
  endedCleanly?: () => Promise<boolean>;
}

const MAX_DELAY_MS = 30_000;
/** A stream's `retry:` could ask for anything; the client keeps its reconnects within reason. */
const clampDelay = (ms: number) => Math.min(Math.max(ms, 0), MAX_DELAY_MS);

/** The server's errors worth a reconnect: an instance restarting behind a proxy. */
export const RETRIABLE_STATUSES = new Set([502, 503, 504]);

/**
 * A Server-Sent Events stream of AOS events that survives dropped connections: it remembers the
 * last event id it yielded and reconnects with `Last-Event-ID`, so the server replays from exactly
 * there. Ids below or equal to the last one are dropped, so the caller sees each event once, in
 * order, with no gap the server's log does not have.
 */
export async function* eventStream(
  transport: StreamTransport,
  path: string,
  options: EventStreamOptions = {},
  end: StreamEnd = {},
): AsyncGenerator<AosEvent, void, undefined> {
  const { signal, idleTimeoutMs = 45_000, maxRetries = 10 } = options;
  let lastId = options.after ?? 0;
  let serverRetryMs = 1_000;
  let failures = 0;
  let opened = false;
  for (;;) {
    if (signal?.aborted) return;
    const connection = new AbortController();
    const stop = () => connection.abort(signal?.reason);
    signal?.addEventListener('abort', stop, { once: true });
    let idle: NodeJS.Timeout | undefined;
    const touch = () => {
      clearTimeout(idle);
      idle = setTimeout(() => connection.abort(new Error(`no data for ${idleTimeoutMs} ms`)), idleTimeoutMs);
    };
    const url = transport.url(path, { type: options.type });
    let failure: unknown;
    let endedCleanly = false;
    try {
      touch();
      const headers: Record<string, string> = { ...transport.headers(), accept: 'text/event-stream' };
      if (lastId > 0) headers['last-event-id'] = String(lastId);
      const response = await transport.fetch(url, { headers, signal: connection.signal });
      if (!response.ok) throw await AosApiError.from(response);
      // A 200 that is not a stream (a proxy's or a portal's HTML page) would read as an empty
      // stream and be retried for minutes: it is an answer, just not the one asked for.
      const type = response.headers.get('content-type') ?? '';
      if (!/^text\/event-stream\s*(;|$)/i.test(type)) {
        await response.body?.cancel().catch(() => undefined);
        throw new AosApiError(
          response.status,
          `expected an event stream, got ${type ? type.split(';')[0] : 'no content type'}`,
          null,
          response.headers.get('x-request-id'),
        );
      }
      if (!response.body) throw new Error('the stream has no body');
      opened = true;
      const messages: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (message) => messages.push(message),
        onRetry: (ms) => (serverRetryMs = ms),
      });
      const decoder = new TextDecoder();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          touch();
          parser.feed(decoder.decode(value, { stream: true }));
          for (const message of messages.splice(0)) {
            const event = toEvent(message);
            if (!event || event.id <= lastId) continue;
            lastId = event.id;
            failures = 0;
            // The caller's time with an event is not the connection's silence.
            clearTimeout(idle);
            yield event;
            if (end.isLast?.(event)) return;
            touch();
          }
        }
      } finally {
        reader.releaseLock();
      }
      endedCleanly = true;
    } catch (error) {
      if (signal?.aborted) return;
      if (error instanceof AosApiError && !RETRIABLE_STATUSES.has(error.status)) throw error;
      // A server that never answered is a wrong URL or a server that is down: say so at once.
      if (!opened && !(error instanceof AosApiError)) throw new AosConnectionError(url, error);
      failure = error;
    } finally {
      clearTimeout(idle);
      signal?.removeEventListener('abort', stop);
      connection.abort();
    }
    if (endedCleanly && end.endedCleanly && (await end.endedCleanly())) return;
    failures++;
    if (failures > maxRetries) {
      if (failure instanceof AosApiError || failure instanceof AosConnectionError) throw failure;
      throw new AosConnectionError(url, failure ?? new Error('the server ended the stream'));
    }
    options.onReconnect?.({ attempt: failures, lastEventId: lastId, error: failure });
    const base = options.reconnectDelayMs ?? serverRetryMs;
    if (!(await sleep(clampDelay(base * 2 ** (failures - 1)), signal))) return;
  }
}

/** An SSE message as an event, or undefined for one that is not an AOS event (nothing else is sent). */
function toEvent(message: EventSourceMessage): AosEvent | undefined {
  try {
    const event = JSON.parse(message.data) as AosEvent;
    return typeof event?.id === 'number' ? event : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves true after `ms`, or false at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (result: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
