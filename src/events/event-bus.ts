import { crossTenant } from '../common/db-scope';
import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { PgListener } from '../database/pg-listener';
import { EVENTS_CHANNEL, EventsRepository, StoredEvent } from './events.repository';
import { SseStream } from './sse-stream';

type Subscriber = (event: StoredEvent) => void;

const FETCH_BATCH = 1_000;

/**
 * This instance's live feed of events, for every stream and long-poll it serves. One NOTIFY from
 * the sequencer (on the instance's one LISTEN connection) says up to which id there is news; the
 * bus reads what is new once, on the pool, and hands each event to the subscribers of its agent.
 * Events committed by a worker on another instance arrive the same way. Waiting subscribers hold
 * no database connection.
 */
@Injectable()
export class EventBus implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventBus.name);
  /** By agent id, and by tenant id for tenant-wide streams (ids are UUIDs: the two never collide). */
  private readonly subscribers = new Map<string, Set<Subscriber>>();
  private lastId = 0;
  private known = 0;
  private reading: Promise<void> | undefined;
  private readonly closingHandlers = new Set<() => void>();
  private readonly sequencedHandlers = new Set<() => void>();

  constructor(
    private readonly events: EventsRepository,
    private readonly listener: PgListener,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.lastId = this.known = await this.events.position('sequence');
    await this.listener.listen(EVENTS_CHANNEL, (payload) => this.news(Number(payload) || 0));
    // Notifications sent while the connection was down are lost: read whatever is new.
    this.listener.onReconnect(() => this.news(Number.MAX_SAFE_INTEGER));
  }

  /** Streams and long-polls end at shutdown (an open response would hold the server). */
  beforeApplicationShutdown(): void {
    SseStream.endAll();
    for (const handler of [...this.closingHandlers]) handler();
  }

  /** Called when the instance shuts down; returns the unregister. */
  onClosing(handler: () => void): () => void {
    this.closingHandlers.add(handler);
    return () => this.closingHandlers.delete(handler);
  }

  /**
   * Called whenever events may have been sequenced (on this instance or another; after a LISTEN
   * reconnect too): durable readers such as the webhook fan-out look for work then.
   */
  onSequenced(handler: () => void): () => void {
    this.sequencedHandlers.add(handler);
    return () => this.sequencedHandlers.delete(handler);
  }

  /**
   * Every event of the agent, or of the whole tenant, from now on (the caller reads history
   * itself); returns the unsubscribe.
   */
  subscribe(key: { agentId: string } | { tenantId: string }, handler: Subscriber): () => void {
    const id = 'agentId' in key ? key.agentId : key.tenantId;
    let set = this.subscribers.get(id);
    if (!set) this.subscribers.set(id, (set = new Set()));
    set.add(handler);
    return () => {
      set.delete(handler);
      if (set.size === 0 && this.subscribers.get(id) === set) this.subscribers.delete(id);
    };
  }

  private news(upTo: number): void {
    for (const handler of this.sequencedHandlers) handler();
    this.known = Math.max(this.known, upTo);
    if (this.subscribers.size === 0) {
      // Nobody listens: nothing to read. A subscriber arriving later reads its history itself.
      if (upTo !== Number.MAX_SAFE_INTEGER) this.lastId = Math.max(this.lastId, upTo);
      return;
    }
    this.reading ??= crossTenant('relay', () => this.read()).finally(() => (this.reading = undefined));
  }

  private async read(): Promise<void> {
    try {
      for (;;) {
        const target = this.known;
        const batch = await this.events.after(this.lastId, FETCH_BATCH);
        for (const event of batch) {
          this.lastId = event.id;
          for (const handler of this.subscribers.get(event.agent_id) ?? []) handler(event);
          for (const handler of this.subscribers.get(event.tenant_id) ?? []) handler(event);
        }
        if (batch.length === FETCH_BATCH || this.known > target) continue;
        // Caught up with what is committed; a `known` of MAX_SAFE_INTEGER was a reconnect's guess.
        if (this.known === Number.MAX_SAFE_INTEGER) this.known = this.lastId;
        return;
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'reading new events failed; the next notification retries');
    }
  }
}
