import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import { RunStatus } from '../provenance/run-status.enum';

/** Channel a worker LISTENs on: a run may be ready to claim (payload unused). */
export const RUN_READY_CHANNEL = 'aos_run_ready';
/** Channel carrying the id of a run that was cancelled while it may be executing. */
export const RUN_CANCEL_CHANNEL = 'aos_run_cancel';

export interface ClaimedRun {
  id: string;
  agent_id: string;
  goal: string;
  priority: number;
  attempts: number;
  max_attempts: number;
}

// Shared by the claim/reclaim statements and the cheap probes in front of them, so they cannot drift.
/** A run a claim may take (`r` = runs, `a` = its agent), concurrency aside. */
const READY_RUN = `r.status = 'pending' AND r.available_at <= now() AND a.status = 'active'`;
/** A running run whose worker stopped renewing its lease. */
const LAPSED_LEASE = `status = 'running' AND lease_expires_at < now()`;

interface Candidate {
  id: string;
  agent_id: string;
  max_concurrent_runs: number;
}

/**
 * The durable queue is the runs table itself. Claiming takes the best pending run (priority,
 * then age) whose agent is active and below its concurrency, with FOR UPDATE SKIP LOCKED so
 * instances never wait on each other; an advisory lock per agent serialises the check of that
 * agent's running count, so two instances cannot both start its last free slot.
 */
@Injectable()
export class RunQueue {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Whether a claim could find anything: one indexed statement on the pool, no transaction. The
   * worker's periodic poll asks this first, so an idle instance does not open a claim transaction
   * every second (which cost about 3% of a core while idle).
   */
  async hasReadyRuns(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ ready: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM runs r JOIN agents a ON a.id = r.agent_id
          WHERE ${READY_RUN}
       ) AS ready`,
    );
    return rows[0].ready;
  }

  /** Whether any running run's lease has lapsed (cheap check before reclaimExpired). */
  async hasExpiredLeases(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ expired: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM runs WHERE ${LAPSED_LEASE}) AS expired`,
    );
    return rows[0].expired;
  }

  async claim(owner: string, leaseMs: number): Promise<ClaimedRun | null> {
    return this.dataSource.transaction(async (m) => {
      const skipped: string[] = [];
      for (let tries = 0; tries < 10; tries++) {
        const [candidate] = await m.query<Candidate[]>(
          `SELECT r.id, r.agent_id, a.max_concurrent_runs
             FROM runs r JOIN agents a ON a.id = r.agent_id
            WHERE ${READY_RUN}
              AND NOT (r.agent_id = ANY($1::uuid[]))
              AND (SELECT count(*) FROM runs x WHERE x.agent_id = r.agent_id AND x.status = 'running') < a.max_concurrent_runs
            ORDER BY r.priority DESC, r.created_at, r.id
            LIMIT 1
            FOR UPDATE OF r SKIP LOCKED`,
          [skipped],
        );
        if (!candidate) return null;
        const [{ locked }] = await m.query<{ locked: boolean }[]>(
          'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
          [candidate.agent_id],
        );
        // A fresh statement under the lock sees every claim committed before it.
        const [{ running }] = locked
          ? await m.query<{ running: number }[]>(
              `SELECT count(*)::int AS running FROM runs WHERE agent_id = $1 AND status = 'running'`,
              [candidate.agent_id],
            )
          : [{ running: Number.MAX_SAFE_INTEGER }];
        if (running >= candidate.max_concurrent_runs) {
          skipped.push(candidate.agent_id);
          continue;
        }
        const [run] = returnedRows(
          await m.query<ClaimedRun[] | [ClaimedRun[], number]>(
            `UPDATE runs SET status = 'running', attempts = attempts + 1, lease_owner = $2,
                    lease_expires_at = now() + $3 * interval '1 millisecond',
                    started_at = coalesce(started_at, now()), updated_at = now()
              WHERE id = $1
              RETURNING id, agent_id, goal, priority, attempts, max_attempts`,
            [candidate.id, owner, leaseMs],
          ),
        );
        await m.query(`UPDATE provenance SET status = 'running' WHERE id = $1`, [candidate.id]);
        return run ?? null;
      }
      return null;
    });
  }

  /** Extends the leases this worker still holds; returns the ids it no longer holds. */
  async renew(owner: string, runIds: string[], leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const rows = await this.dataSource.query<{ id: string }[] | [{ id: string }[], number]>(
      `UPDATE runs SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running' RETURNING id`,
      [runIds, owner, leaseMs],
    );
    const held = new Set(returnedRows(rows).map((r) => r.id));
    return runIds.filter((id) => !held.has(id));
  }

  /**
   * Ends a run this worker holds. Returns false when it no longer holds it (cancelled, or its
   * lease lapsed and another worker took it), in which case nothing is written.
   */
  async finish(
    owner: string,
    runId: string,
    outcome: { status: RunStatus; errorMessage: string | null; retryAt?: Date },
    inTransaction?: (m: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      const retry = outcome.retryAt !== undefined;
      const rows = returnedRows(
        await m.query<{ id: string }[] | [{ id: string }[], number]>(
          `UPDATE runs SET status = $3, error_message = $4, lease_owner = NULL, lease_expires_at = NULL,
                  completed_at = CASE WHEN $5::boolean THEN NULL ELSE now() END,
                  available_at = coalesce($6, available_at), updated_at = now()
            WHERE id = $1 AND lease_owner = $2 AND status = 'running' RETURNING id`,
          [runId, owner, outcome.status, outcome.errorMessage, retry, outcome.retryAt ?? null],
        ),
      );
      if (rows.length === 0) return false;
      await m.query(
        `UPDATE provenance SET status = $2, error_message = $3,
                completed_at = CASE WHEN $4::boolean THEN NULL ELSE now() END WHERE id = $1`,
        [runId, outcome.status, outcome.errorMessage, retry],
      );
      if (inTransaction) await inTransaction(m);
      // A retry is ready later; a finished run frees a slot of its agent, maybe on another instance.
      await this.notifyReady(m);
      return true;
    });
  }

  /** Gives runs back to the queue at shutdown; releasing is not a failed attempt. */
  async release(owner: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.dataSource.transaction(async (m) => {
      const rows = returnedRows(
        await m.query<{ id: string }[] | [{ id: string }[], number]>(
          `UPDATE runs SET status = 'pending', attempts = greatest(attempts - 1, 0), lease_owner = NULL,
                  lease_expires_at = NULL, available_at = now(), updated_at = now()
            WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running' RETURNING id`,
          [runIds, owner],
        ),
      );
      await m.query(`UPDATE provenance SET status = 'pending' WHERE id = ANY($1::uuid[])`, [rows.map((r) => r.id)]);
      await this.notifyReady(m);
    });
  }

  /**
   * Crash recovery, run by every worker: a running run whose lease lapsed lost its worker. It goes
   * back to pending while it has attempts left, else it fails. Returns how many were reclaimed.
   */
  async reclaimExpired(): Promise<number> {
    return this.dataSource.transaction(async (m) => {
      const rows = returnedRows(
        await m.query<{ id: string; status: RunStatus; error_message: string | null }[] | [never[], number]>(
          `WITH expired AS (
             SELECT id FROM runs WHERE ${LAPSED_LEASE} FOR UPDATE SKIP LOCKED
           )
           UPDATE runs r SET
             status = CASE WHEN r.attempts < r.max_attempts THEN 'pending'::run_status ELSE 'failed'::run_status END,
             error_message = CASE WHEN r.attempts < r.max_attempts THEN NULL
                                  ELSE 'worker lost (lease expired) on each of ' || r.attempts || ' attempts' END,
             completed_at = CASE WHEN r.attempts < r.max_attempts THEN NULL ELSE now() END,
             lease_owner = NULL, lease_expires_at = NULL, available_at = now(), updated_at = now()
           FROM expired WHERE r.id = expired.id
           RETURNING r.id, r.status, r.error_message`,
        ),
      ) as { id: string; status: RunStatus; error_message: string | null }[];
      for (const row of rows) {
        await m.query(
          `UPDATE provenance SET status = $2::run_status, error_message = $3,
                  completed_at = CASE WHEN $2::text = 'failed' THEN now() ELSE NULL END WHERE id = $1`,
          [row.id, row.status, row.error_message],
        );
      }
      if (rows.length > 0) await this.notifyReady(m);
      return rows.length;
    });
  }

  /**
   * Cancels an agent's pending and running runs (or one run) inside the caller's transaction.
   * Workers executing one of them hear it on RUN_CANCEL_CHANNEL when that transaction commits.
   */
  async cancel(m: EntityManager, where: { agentId: string; runId?: string }, reason: string): Promise<string[]> {
    const rows = returnedRows(
      await m.query<{ id: string; was_running: boolean }[] | [never[], number]>(
        `UPDATE runs SET status = 'cancelled', error_message = $3, completed_at = now(),
                lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE agent_id = $1 AND ($2::uuid IS NULL OR id = $2) AND status IN ('pending', 'running')
          RETURNING id`,
        [where.agentId, where.runId ?? null, reason],
      ),
    ) as { id: string }[];
    const ids = rows.map((r) => r.id);
    if (ids.length === 0) return ids;
    await m.query(
      `UPDATE provenance SET status = 'cancelled', error_message = $2, completed_at = now() WHERE id = ANY($1::uuid[])`,
      [ids, reason],
    );
    for (const id of ids) await m.query(`SELECT pg_notify('${RUN_CANCEL_CHANNEL}', $1)`, [id]);
    await this.notifyReady(m);
    return ids;
  }

  async notifyReady(m: EntityManager = this.dataSource.manager): Promise<void> {
    await m.query(`SELECT pg_notify('${RUN_READY_CHANNEL}', '')`);
  }
}
