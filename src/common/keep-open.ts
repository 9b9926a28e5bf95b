import type { IncomingMessage } from 'node:http';

/**
 * Lifts AOS_IDLE_TIMEOUT_MS off a request's connection: a stream or a long-poll keeps its own
 * bound (a heartbeat, the wait it was asked for). Requests injected in tests have no real socket.
 */
export function keepOpen(request: IncomingMessage): void {
  const socket = request.socket as Partial<IncomingMessage['socket']> | undefined;
  if (typeof socket?.setTimeout === 'function') socket.setTimeout(0);
}
