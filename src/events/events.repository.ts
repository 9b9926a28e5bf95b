import type { Actor } from '../common/actor';
import { currentActor } from '../common/db-scope';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Client, QueryResultRow } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import type { NewEvent } from './event-data-map';

/** Sent by the sequencer with the last id it gave out: readers fetch what is new. */
export const EVENTS_CHANNEL = 'aos_events';

export type { NewEvent } from './event-data-map';

/** An event as readers see it: sequenced. */
export interface StoredEvent {
  id: number;
  tenant_id: string;
  agent_id: string;
  run_id: string | null;
  type: string;
  data: Record<string, unknown>;
  actor: Actor | null;
  created_at: Date;
}

interface EventRow extends Omit<StoredEvent, 'id'> {
  id: string;
}

const COLUMNS = 'id, tenant_id, agent_id, run_id, type, data, actor, created_at';
const toEvent = (r: EventRow): StoredEvent => ({ ...r, id: Number(r.id) });

export type CursorName = 'sequence' | 'pruned' | 'nats' | 'webhooks';

/** An EntityManager or a pg client of its own (the relay's, which holds its leader lock). */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/** One SQL statement and its parameters ($1…$n). */
export interface Statement {
  sql: string;
  params: unknown[];
}

/** The one INSERT of events, its parameters numbered from $first. */
function insertSql(first: number): string {
  const [n, a, r, t, d, c] = [first, first + 1, first + 2, first + 3, first + 4, first + 5];
  // Inside a tenant scope the tenant is the scope's (what row-level security checks); cross-tenant
  // work (a claim's run.started, a webhook's disabling) names it.
  return `INSERT INTO events (tenant_id, agent_id, run_id, type, data, actor)
          SELECT coalesce(e.tenant_id, aos_current_tenant()), e.agent_id, e.run_id, e.type, e.data, $${c}::jsonb
            FROM unnest($${n}::uuid[], $${a}::uuid[], $${r}::uuid[], $${t}::varchar[], $${d}::jsonb[])
              AS e(tenant_id, agent_id, run_id, type, data)`;
}

function insertParams(events: NewEvent[]): unknown[] {
  const actor = currentActor();
  return [
    events.map((e) => e.tenantId ?? null),
    events.map((e) => e.agentId),
    events.map((e) => e.runId ?? null),
    events.map((e) => e.type),
    events.map((e) => JSON.stringify(e.data)),
    actor === null ? null : JSON.stringify(actor),
  ];
}

/** The SQL of the events and event_cursors tables, which only the events module writes. */
@Injectable()
export class EventsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Inserts in the caller's transaction, without an id (the sequencer gives it after commit).
   * No NOTIFY here: PostgreSQL serialises the commits of notifying transactions (one WAL flush
   * each, no group commit), which would cap every write path; the appending instance wakes its
   * own sequencer after the commit instead.
   */
  async insert(m: EntityManager, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await m.query(insertSql(1), insertParams(events));
  }

  /**
   * Runs the caller's one data-modifying statement (with RETURNING) and inserts the events in
   * that same statement, as data-modifying CTEs: one round trip, atomic without a transaction.
   * Returns the statement's rows.
   */
  async insertAlong<R>(statement: Statement, events: NewEvent[], m?: EntityManager): Promise<R[]> {
    const first = statement.params.length + 1;
    const sql = `WITH main AS (${statement.sql}), appended AS (${insertSql(first)}) SELECT * FROM main`;
    const params = [...statement.params, ...insertParams(events)];
    if (m) return m.query<R[]>(sql, params);
    const { rows } = await pgPoolOf(this.dataSource).query<R & QueryResultRow>(sql, params);
    return rows;
  }

  /**
   * Gives the next public ids to committed events that have none, in insertion order, in one
   * transaction that holds the `sequence` cursor row: every reader sees a batch whole or not at
   * all, and a later batch only gets larger ids. A row still in an open transaction is invisible
   * here and gets its id in a later batch — after every id a reader may already have seen — so a
   * reader resuming after id N can never miss it. Returns how many got ids.
   */
  async sequence(limit: number): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const [cursor] = await m.query<{ position: string }[]>(
        `SELECT position FROM event_cursors WHERE name = 'sequence' FOR UPDATE`,
      );
      const start = Number(cursor.position);
      const [done] = await m.query<{ last: string | null; count: number }[]>(
        `WITH batch AS (
           SELECT pk, row_number() OVER (ORDER BY pk) AS n FROM events WHERE id IS NULL ORDER BY pk LIMIT $2
         ), numbered AS (
           UPDATE events e SET id = $1::bigint + batch.n FROM batch WHERE e.pk = batch.pk RETURNING e.id
         )
         SELECT max(id) AS last, count(*)::int AS count FROM numbered`,
        [start, limit],
      );
      if (done.last === null) return 0;
      await m.query(`UPDATE event_cursors SET position = $1, updated_at = now() WHERE name = 'sequence'`, [done.last]);
      await m.query(`SELECT pg_notify('${EVENTS_CHANNEL}', $1)`, [done.last]);
      return done.count;
    });
  }

  /** Whether any committed event waits for its id (a cheap check before opening a transaction). */
  async hasUnsequenced(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ waiting: boolean }>(
      'SELECT EXISTS (SELECT 1 FROM events WHERE id IS NULL) AS waiting',
    );
    return rows[0].waiting;
  }

  /** Every event after `afterId`, oldest first (the bus's catch-up, the relays' next batch). */
  async after(afterId: number, limit: number, m?: EntityManager): Promise<StoredEvent[]> {
    const sql = `SELECT ${COLUMNS} FROM events WHERE id > $1 ORDER BY id LIMIT $2`;
    const rows = m
      ? await m.query<EventRow[]>(sql, [afterId, limit])
      : (await pgPoolOf(this.dataSource).query<EventRow>(sql, [afterId, limit])).rows;
    return rows.map(toEvent);
  }

  async byId(id: number): Promise<StoredEvent | undefined> {
    const { rows } = await pgPoolOf(this.dataSource).query<EventRow>(`SELECT ${COLUMNS} FROM events WHERE id = $1`, [
      id,
    ]);
    return rows[0] && toEvent(rows[0]);
  }

  /** An agent's (or one run's) events after `afterId`, oldest first, optionally of one type pattern. */
  /** One agent's events, or a whole tenant's, after `afterId`. */
  async page(
    filter: ({ agentId: string } | { tenantId: string }) & { runId?: string; afterId: number; type?: string },
    limit: number,
  ) {
    const byAgent = 'agentId' in filter;
    const params: unknown[] = [byAgent ? filter.agentId : filter.tenantId, filter.afterId, limit];
    const where = [byAgent ? 'agent_id = $1' : 'tenant_id = $1', 'id > $2'];
    if (filter.runId) where.push(`run_id = $${params.push(filter.runId)}`);
    if (filter.type && filter.type !== '*') {
      where.push(
        filter.type.endsWith('.*')
          ? `starts_with(type, $${params.push(filter.type.slice(0, -1))})`
          : `type = $${params.push(filter.type)}`,
      );
    }
    const { rows } = await pgPoolOf(this.dataSource).query<EventRow>(
      `SELECT ${COLUMNS} FROM events WHERE ${where.join(' AND ')} ORDER BY id LIMIT $3`,
      params,
    );
    return rows.map(toEvent);
  }

  /** The tenant every row from before tenancy moved into (AOS_NATS_SUBJECTS=legacy keeps its subjects). */
  async defaultTenantId(): Promise<string> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ id: string }>(
      `SELECT id FROM tenants WHERE slug = 'default'`,
    );
    return rows[0].id;
  }

  async cursor(name: CursorName): Promise<{ position: number; updatedAt: Date }> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ position: string; updated_at: Date }>(
      'SELECT position, updated_at FROM event_cursors WHERE name = $1',
      [name],
    );
    return { position: Number(rows[0]?.position ?? 0), updatedAt: rows[0]?.updated_at ?? new Date(0) };
  }

  async position(name: CursorName, m?: EntityManager): Promise<number> {
    const rows = await (m ?? this.dataSource.manager).query<{ position: string }[]>(
      'SELECT position FROM event_cursors WHERE name = $1',
      [name],
    );
    return Number(rows[0]?.position ?? 0);
  }

  /** Locks a cursor row for the caller's transaction (one owner of its work at a time) and reads it. */
  async lockPosition(m: EntityManager, name: CursorName): Promise<number> {
    const [row] = await m.query<{ position: string }[]>(
      'SELECT position FROM event_cursors WHERE name = $1 FOR UPDATE',
      [name],
    );
    return Number(row.position);
  }

  async advancePosition(name: CursorName, upTo: number): Promise<void> {
    await this.dataSource.query(
      'UPDATE event_cursors SET position = $2, updated_at = now() WHERE name = $1 AND position < $2',
      [name, upTo],
    );
  }

  async setPosition(name: CursorName, position: number, m?: Queryable): Promise<void> {
    await (m ?? this.dataSource.manager).query(
      'UPDATE event_cursors SET position = $2, updated_at = now() WHERE name = $1',
      [name, position],
    );
  }

  /**
   * Takes a session-level advisory lock on the client's own connection if it is free: held until
   * that connection ends, so a crashed holder frees it.
   */
  async tryLeaderLock(client: Client, key: string): Promise<boolean> {
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
      [key],
    );
    return rows[0].locked;
  }

  /**
   * Deletes up to `limit` events created before `before` with an id at most `upTo`, and moves the
   * `pruned` cursor, in one short transaction. Returns how many it deleted.
   */
  async prune(before: Date, upTo: number, limit: number): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      await this.lockPosition(m, 'pruned');
      const [result] = await m.query<{ deleted: number; last: string | null }[]>(
        `WITH doomed AS (
           SELECT pk FROM events WHERE created_at < $1 AND id IS NOT NULL AND id <= $2 ORDER BY id LIMIT $3
         ), deleted AS (
           DELETE FROM events e USING doomed WHERE e.pk = doomed.pk RETURNING e.id
         )
         SELECT count(*)::int AS deleted, max(id) AS last FROM deleted`,
        [before, upTo, limit],
      );
      if (result.last !== null) {
        await m.query(
          `UPDATE event_cursors SET position = greatest(position, $1::bigint), updated_at = now() WHERE name = 'pruned'`,
          [result.last],
        );
      }
      return result.deleted;
    });
  }
}
