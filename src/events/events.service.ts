import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { DEFAULT_PAGE_SIZE } from '../common/pagination';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import type { EventDto, EventPageDto } from './dto/event.dto';
import { EventBus } from './event-bus';
import { EventSequencer } from './event-sequencer';
import { boundedData } from './event-data';
import { matchesType } from './event-types';
import { EventsGoneError } from './events.errors';
import { EventsRepository, NewEvent, Statement, StoredEvent } from './events.repository';
import { SseStream } from './sse-stream';

export type { NewEvent, Statement, StoredEvent } from './events.repository';

/** The durable readers that page through every event with `consume`. */
export type ConsumerCursor = 'webhooks';

export function toEventDto(e: StoredEvent): EventDto {
  return {
    id: e.id,
    type: e.type,
    tenant_id: e.tenant_id,
    agent_id: e.agent_id,
    run_id: e.run_id,
    created_at: e.created_at.toISOString(),
    actor: e.actor,
    data: e.data,
  };
}

const serialized = new WeakMap<StoredEvent, string>();

/**
 * The event's envelope as JSON, made once per event object: the bus hands the same object to every
 * stream of the agent, and a thousand streams should not serialise it a thousand times.
 */
export function eventJson(e: StoredEvent): string {
  let json = serialized.get(e);
  if (json === undefined) serialized.set(e, (json = JSON.stringify(toEventDto(e))));
  return json;
}

const HISTORY_BATCH = 500;

const bounded = (events: NewEvent[]): NewEvent[] =>
  events.map((e) => ({ ...e, data: boundedData(e.data) }) as NewEvent);

export interface StreamOptions {
  /** One agent's events, or every event of a tenant (`tenantId`): one of the two. */
  agentId?: string;
  tenantId?: string;
  runId?: string;
  after: number;
  type?: string;
  /** Ends the stream after the event for which this is true (a run's terminal event). */
  endAfter?: (event: StoredEvent) => boolean;
  /** The stream has nothing more to wait for (a finished run): end once the history is sent. */
  finished?: boolean;
}

/**
 * The event log. `append` is the one way to write an event, inside the transaction of the change
 * it describes; reading is by pages (`after` a position) and by Server-Sent Events streams, history
 * first and then live, from the instance's event bus.
 */
@Injectable()
export class EventsService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: EventsRepository,
    private readonly bus: EventBus,
    private readonly sequencer: EventSequencer,
  ) {}

  /** Appends events in the caller's transaction: they exist if and only if the change commits. */
  async append(m: EntityManager, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.events.insert(m, bounded(events));
    this.sequencer.appended(m);
  }

  /**
   * A change made by one statement of the caller (with RETURNING), and its events, in one
   * statement: for hot paths that need no transaction (creating an agent), or inside the caller's
   * transaction `m`. Returns its rows.
   */
  async appendAlong<R>(statement: Statement, events: NewEvent[], m?: EntityManager): Promise<R[]> {
    const rows = await this.events.insertAlong<R>(statement, bounded(events), m);
    // In a caller's transaction the events are sequenced once it commits.
    if (m) this.sequencer.appended(m);
    else this.sequencer.kick();
    return rows;
  }

  /**
   * A durable reader's next step: in one transaction, locks its cursor (readers of the same name
   * on other instances take turns), hands `handle` up to `limit` events after it with the
   * transaction's manager, and moves the cursor past them if `handle` succeeds. Returns how many
   * events it handled.
   */
  async consume(
    cursor: ConsumerCursor,
    limit: number,
    handle: (m: EntityManager, events: StoredEvent[]) => Promise<void>,
  ): Promise<number> {
    // The usual case, nothing new, costs one read and no transaction.
    const [position, sequenced] = await Promise.all([this.events.position(cursor), this.events.position('sequence')]);
    if (position >= sequenced) return 0;
    return this.dataSource.transaction(async (m) => {
      const from = await this.events.lockPosition(m, cursor);
      const batch = await this.events.after(from, limit, m);
      if (batch.length === 0) return 0;
      await handle(m, batch);
      await this.events.setPosition(cursor, batch[batch.length - 1].id, m);
      return batch.length;
    });
  }

  /**
   * Moves a durable reader past everything sequenced up to `upTo` without reading it (never
   * backwards): for a reader that knows it has nothing to do with those events.
   */
  skip(cursor: ConsumerCursor, upTo: number): Promise<void> {
    return this.events.advancePosition(cursor, upTo);
  }

  /** The last id given out: every event up to it is readable. */
  sequenced(): Promise<number> {
    return this.events.position('sequence');
  }

  /** A durable reader's position: the last event id it has handled. */
  position(cursor: ConsumerCursor): Promise<number> {
    return this.events.position(cursor);
  }

  find(id: number): Promise<StoredEvent | undefined> {
    return this.events.byId(id);
  }

  async page(
    owner: { agentId: string } | { tenantId: string },
    query: { after?: number; limit?: number; type?: string },
  ): Promise<EventPageDto> {
    const after = query.after ?? 0;
    await this.checkResumable(after);
    const rows = await this.events.page(
      { ...owner, afterId: after, type: query.type },
      query.limit ?? DEFAULT_PAGE_SIZE,
    );
    return { items: rows.map(toEventDto), next_cursor: rows.length ? String(rows[rows.length - 1].id) : null };
  }

  /** 410 when events after `after` may already have been removed by retention. */
  async checkResumable(after: number): Promise<void> {
    if (after === 0) return;
    const pruned = await this.events.position('pruned');
    if (after < pruned) throw new EventsGoneError(after, pruned);
  }

  /**
   * Serves a stream on `reply` (the caller has checked that what it streams exists): subscribes to
   * the live bus first, then sends the stored history after `after`, then whatever arrived live
   * meanwhile and from then on — each event once, in id order, none missed.
   */
  async stream(reply: FastifyReply, options: StreamOptions): Promise<void> {
    await this.checkResumable(options.after);
    const stream = new SseStream(reply, this.config.events.heartbeatMs);
    let lastSent = options.after;
    let historyDone = false;
    const pending: StoredEvent[] = [];
    const types = options.type ? [options.type] : null;
    const wanted = (e: StoredEvent) =>
      (options.runId === undefined || e.run_id === options.runId) && matchesType(e.type, types);
    // Returns false once the stream has ended (its last event sent).
    const send = (e: StoredEvent): boolean => {
      if (e.id <= lastSent || stream.closed) return !stream.closed;
      lastSent = e.id;
      if (wanted(e)) stream.event(e.id, e.type, eventJson(e));
      if (options.endAfter?.(e)) {
        stream.end();
        return false;
      }
      return true;
    };
    const key = streamOwner(options);
    const unsubscribe = this.bus.subscribe(key, (e) => {
      if (historyDone) send(e);
      else pending.push(e);
    });
    stream.onClose(unsubscribe);
    stream.start();
    if (stream.closed) return;
    try {
      for (;;) {
        const rows = await this.events.page({ ...key, runId: options.runId, afterId: lastSent }, HISTORY_BATCH);
        for (const row of rows) if (!send(row)) return;
        if (rows.length < HISTORY_BATCH) break;
      }
      historyDone = true;
      for (const e of pending.sort((a, b) => a.id - b.id)) if (!send(e)) return;
      pending.length = 0;
      if (options.finished) stream.end();
    } catch (error) {
      stream.end();
      throw error;
    }
  }
}

function streamOwner(options: StreamOptions): { agentId: string } | { tenantId: string } {
  if (options.agentId !== undefined) return { agentId: options.agentId };
  if (options.tenantId !== undefined) return { tenantId: options.tenantId };
  throw new Error('A stream needs an agent or a tenant');
}
