import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { Client } from 'pg';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DATABASE_URL } from './database.tokens';

type Handler = (payload: string) => void;

const RETRY_FIRST_MS = 1_000;
const RETRY_MAX_MS = 30_000;

/**
 * The instance's one LISTEN connection: a dedicated client (a pooled connection cannot keep a
 * subscription), shared by every module that waits on NOTIFY — the run worker, the event bus
 * behind streams and long-polls, the event sequencer. It reconnects with backoff when it drops;
 * handlers registered with `onReconnect` then catch up on what they may have missed. Nothing
 * waiting here holds a pooled connection.
 */
@Injectable()
export class PgListener implements OnApplicationShutdown {
  private readonly logger = new Logger(PgListener.name);
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly reconnectHandlers = new Set<() => void>();
  private client: Client | undefined;
  private connecting: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
  ) {}

  /** Calls `handler` with each NOTIFY payload on `channel`; resolves once the LISTEN is active. */
  async listen(channel: string, handler: Handler): Promise<() => void> {
    if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`invalid channel name ${channel}`);
    let set = this.handlers.get(channel);
    const fresh = !set;
    if (!set) this.handlers.set(channel, (set = new Set()));
    set.add(handler);
    await this.connect();
    if (fresh && this.client) await this.client.query(`LISTEN ${channel}`);
    return () => {
      set.delete(handler);
    };
  }

  /** Called after every reconnection: notifications sent while disconnected are lost. */
  onReconnect(handler: () => void): () => void {
    this.reconnectHandlers.add(handler);
    return () => this.reconnectHandlers.delete(handler);
  }

  get connected(): boolean {
    return this.client !== undefined;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    if (this.client || this.closed) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'aos-listen',
      // A database that does not answer must not hold the start (or a reconnect) forever.
      connectionTimeoutMillis: 5_000,
    });
    client.on('notification', (message) => {
      for (const handler of this.handlers.get(message.channel) ?? []) {
        try {
          handler(message.payload ?? '');
        } catch (error) {
          this.logger.warn({ err: error, channel: message.channel }, 'notification handler failed');
        }
      }
    });
    client.on('error', (error) => {
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err: error }, 'notifications lost; reconnecting');
      this.retry();
    });
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.closed) {
      // Shutdown began while connecting: nobody would end this connection later.
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
  }

  /**
   * Keeps trying to reconnect, with backoff, until it works or the instance shuts down. One timer
   * at a time, cleared at shutdown, and shutdown is checked again when it fires.
   */
  private retry(delayMs = Math.min(this.config.workerPollMs, RETRY_FIRST_MS)): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.closed) return;
      this.connect()
        .then(() => {
          if (this.closed || !this.client) return;
          for (const handler of this.reconnectHandlers) handler();
        })
        .catch((error: unknown) => {
          if (this.closed) return;
          this.logger.warn({ err: error }, 'notifications unavailable; retrying');
          this.retry(Math.min(delayMs * 2, RETRY_MAX_MS));
        });
    }, delayMs);
    this.retryTimer.unref();
  }
}
