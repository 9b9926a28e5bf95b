import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;

/**
 * A real HTTP server on 127.0.0.1 for skills to call. Routes are set per test; every request is
 * counted per path, and requests whose connection closed before an answer are recorded.
 */
export class TargetServer {
  readonly hits = new Map<string, number>();
  readonly closedEarly: string[] = [];
  private readonly routes = new Map<string, Handler>();
  private server!: Server;
  port = 0;

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      const hit = (this.hits.get(path) ?? 0) + 1;
      this.hits.set(path, hit);
      res.on('close', () => {
        if (!res.writableFinished) this.closedEarly.push(path);
      });
      const route = this.routes.get(path);
      if (!route) {
        res.writeHead(404).end('no such route');
        return;
      }
      route(req, res, hit);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  route(path: string, handler: Handler): void {
    this.routes.set(path, handler);
  }

  text(path: string, body: string, status = 200): void {
    this.route(path, (_req, res) => res.writeHead(status, { 'content-type': 'text/plain' }).end(body));
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline)
      throw new Error(`condition not met in ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
