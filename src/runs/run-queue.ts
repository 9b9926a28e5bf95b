import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import { ProvenanceService, RunTransition } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import { EventsService } from '../events/events.service';
import { transitionEvent, TransitionRow } from './run-events';
import { RunMetrics } from './run-metrics';
import { isTerminal } from './run-status';
import { LAPSED_LEASE, READY_RUN } from './run-queue.sql';
import { Divergence, divergenceMessage } from './replay';
import type { ReplayMode } from './replay-mode.enum';
import type { RecalledMemory, RunSettings } from './run-settings';
import type { Taint } from './run-policy';

/** Channel carrying the id of a run that was cancelled while it may be executing. */
export const RUN_CANCEL_CHANNEL = 'aos_run_cancel';

export interface ClaimedRun {
  id: string;
  agent_id: string;
  goal: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  /** How long it waited to be claimed since it became ready (created, or its retry time came). */
  waited_ms: number;
  /** Null until the run first starts (the executor snapshots the agent's settings then). */
  settings: RunSettings | null;
  context: RecalledMemory[] | null;
  input_tokens: number;
  output_tokens: number;
  model_wait_since: Date | null;
  model_waits: number;
  /** A replay: the run it replays, and how. */
  replay_of: string | null;
  replay_mode: ReplayMode | null;
  /** When outside content first entered its context (null: clean). */
  taint: Taint | null;
}

export interface Candidate {
  id: string;
  agent_id: string;
  max_running: number;
  running: number;
}

/**
 * The durable queue is the runs table itself, and this is its repository: every status change
 * of a run is one of the statements below, each reported to provenance in the same transaction.
 * Claiming takes the best pending runs (priority, then age) whose agent is active and below its
 * concurrency, with FOR UPDATE SKIP LOCKED so instances never wait on each other; an advisory
 * lock per agent serialises the recount of that agent's running runs, so two instances cannot
 * both start its last free slot.
 */
@Injectable()
export class RunQueue {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly provenance: ProvenanceService,
    private readonly events: EventsService,
    private readonly metrics: RunMetrics,
  ) {}

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

  /**
   * Claims up to `limit` runs in one transaction (a handful of statements however many it takes),
   * so a worker with many free slots fills them in one round rather than one claim per run.
   */
  async claim(owner: string, leaseMs: number, limit: number): Promise<ClaimedRun[]> {
    if (limit <= 0) return [];
    const claimed = await this.dataSource.transaction(async (m): Promise<ClaimedRun[]> => {
      // Agents already at their limit are left out by joining the (small) set of running runs,
      // instead of counting per candidate row; a scan of a few times `limit` rows lets several
      // runs of one agent and of many agents be taken in one go.
      const candidates = await m.query<Candidate[]>(
        `WITH busy AS (
           SELECT agent_id, count(*)::int AS running FROM runs WHERE status = 'running' GROUP BY agent_id
         )
         SELECT r.id, r.agent_id, a.max_concurrent_runs AS max_running, coalesce(b.running, 0) AS running
           FROM runs r
           JOIN agents a ON a.id = r.agent_id
           LEFT JOIN busy b ON b.agent_id = r.agent_id
          WHERE ${READY_RUN} AND coalesce(b.running, 0) < a.max_concurrent_runs
          ORDER BY r.priority DESC, r.created_at, r.id
          LIMIT $1
          FOR UPDATE OF r SKIP LOCKED`,
        [Math.max(limit * 4, 32)],
      );
      const picked = admitRuns(candidates, limit);
      if (picked.length === 0) return [];

      // Lock first, count after, in two statements: a statement sees the database as it was when
      // the statement began, so a count in the locking statement could miss a claim that another
      // instance committed (releasing the lock) while this one waited. An agent whose lock another
      // instance holds right now is skipped until the next round.
      const locked = await m.query<{ agent_id: string }[]>(
        `SELECT l.agent_id FROM unnest($1::uuid[]) AS l(agent_id)
          WHERE pg_try_advisory_xact_lock(hashtextextended(l.agent_id::text, 0))`,
        [[...new Set(picked.map((c) => c.agent_id))]],
      );
      if (locked.length === 0) return [];
      const recounted = await m.query<{ agent_id: string; running: number }[]>(
        `SELECT l.agent_id,
                (SELECT count(*)::int FROM runs x WHERE x.agent_id = l.agent_id AND x.status = 'running') AS running
           FROM unnest($1::uuid[]) AS l(agent_id)`,
        [locked.map((l) => l.agent_id)],
      );
      const running = new Map(recounted.map((c) => [c.agent_id, c.running]));
      const ids = admitRuns(
        picked.filter((c) => running.has(c.agent_id)).map((c) => ({ ...c, running: running.get(c.agent_id)! })),
        limit,
      );
      if (ids.length === 0) return [];

      const claimed = await this.transition<ClaimedRun>(
        m,
        `UPDATE runs r SET status = 'running', attempts = attempts + 1, lease_owner = $2, error_message = NULL,
                lease_expires_at = now() + $3 * interval '1 millisecond',
                started_at = coalesce(started_at, now()), updated_at = now()
          WHERE id = ANY($1::uuid[])`,
        [ids.map((c) => c.id), owner, leaseMs],
        `agent_id, goal, priority, attempts, max_attempts, settings, context, input_tokens, output_tokens,
         model_wait_since, model_waits, replay_of, replay_mode, taint,
         (extract(epoch FROM now() - greatest(available_at, created_at)) * 1000)::float8 AS waited_ms`,
      );
      // In queue order (UPDATE ... RETURNING keeps none), so the best runs start first.
      const order = new Map(ids.map((c, i) => [c.id, i]));
      claimed.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      return claimed.map((r) => ({
        id: r.id,
        agent_id: r.agent_id,
        goal: r.goal,
        priority: r.priority,
        attempts: r.attempts,
        max_attempts: r.max_attempts,
        waited_ms: Math.max(0, r.waited_ms),
        settings: r.settings,
        context: r.context,
        input_tokens: r.input_tokens,
        output_tokens: r.output_tokens,
        model_wait_since: r.model_wait_since,
        model_waits: r.model_waits,
        replay_of: r.replay_of,
        replay_mode: r.replay_mode,
        taint: r.taint,
      }));
    });
    this.metrics.claimed(claimed);
    return claimed;
  }

  /** Extends the leases this worker still holds; returns the ids it no longer holds. */
  async renew(owner: string, runIds: string[], leaseMs: number): Promise<string[]> {
    if (runIds.length === 0) return [];
    const { rows } = await pgPoolOf(this.dataSource).query<{ id: string }>(
      `UPDATE runs SET lease_expires_at = now() + $3 * interval '1 millisecond'
        WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running' RETURNING id`,
      [runIds, owner, leaseMs],
    );
    const held = new Set(rows.map((r) => r.id));
    return runIds.filter((id) => !held.has(id));
  }

  /**
   * Ends a run this worker holds (or, with `retryAt`, puts it back for a later attempt). Returns
   * false when it no longer holds it (cancelled, or its lease lapsed and another worker took it),
   * in which case nothing is written.
   */
  async finish(
    owner: string,
    runId: string,
    outcome: {
      status: RunStatus;
      errorMessage: string | null;
      retryAt?: Date;
      result?: string | null;
      /** A replay that stopped where it asked for another call than its original. */
      divergence?: Divergence;
    },
    writes?: {
      /** Before the run's row is touched: locks the caller needs first (lock order). */
      before?: (m: EntityManager) => Promise<void>;
      /** After the transition, when this worker still held the run: what commits with it. */
      after?: (m: EntityManager) => Promise<void>;
    },
  ): Promise<boolean> {
    const rows = await this.dataSource.transaction(async (m) => {
      if (writes?.before) await writes.before(m);
      const ended = await this.transition(
        m,
        `UPDATE runs r SET status = $3, error_message = $4, lease_owner = NULL, lease_expires_at = NULL,
                completed_at = CASE WHEN $5::timestamptz IS NULL THEN now() END,
                available_at = coalesce($5, available_at), result = coalesce($6, result),
                divergence = coalesce($7::jsonb, divergence), updated_at = now()
          WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
        [
          runId,
          owner,
          outcome.status,
          outcome.errorMessage,
          outcome.retryAt ?? null,
          outcome.result ?? null,
          outcome.divergence ? JSON.stringify(outcome.divergence) : null,
        ],
      );
      if (ended.length === 0) return ended;
      if (writes?.after) await writes.after(m);
      return ended;
    });
    this.metrics.transitions(rows);
    return rows.length > 0;
  }

  /** A replay that asked for another call than its original recorded ends failed, saying where. */
  async diverge(owner: string, runId: string, divergence: Divergence, mode: ReplayMode): Promise<void> {
    const ended = await this.finish(owner, runId, {
      status: RunStatus.Failed,
      errorMessage: divergenceMessage(divergence),
      divergence,
    });
    if (ended) this.metrics.diverged(mode);
  }

  /**
   * Every model provider failed in a way that may pass: the run goes back to pending until
   * `retryAt`. Waiting for a model is not a failed attempt (attempts are not counted), but the
   * wait is remembered (`model_wait_since`, `model_waits`) so it stays bounded.
   */
  async waitForModel(owner: string, runId: string, wait: { retryAt: Date; errorMessage: string }): Promise<boolean> {
    const rows = await this.dataSource.transaction(async (m) => {
      const waiting = await this.transition(
        m,
        `UPDATE runs r SET status = 'pending', error_message = $3, attempts = greatest(attempts - 1, 0),
                model_wait_since = coalesce(model_wait_since, now()), model_waits = model_waits + 1,
                lease_owner = NULL, lease_expires_at = NULL, available_at = $4, updated_at = now()
          WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
        [runId, owner, wait.errorMessage, wait.retryAt],
      );
      return waiting;
    });
    if (rows.length > 0) this.metrics.waitingForModel();
    return rows.length > 0;
  }

  /**
   * A tool call waits for a person: the run leaves its worker (no lease, no slot, not counted
   * against max_concurrent_runs) until every pending call is answered. Waiting is not a failed
   * attempt. `before` takes the agent's row first (the lock order of a delete).
   */
  async awaitApproval(
    owner: string,
    runId: string,
    reason: string,
    before: (m: EntityManager) => Promise<void>,
  ): Promise<boolean> {
    const rows = await this.dataSource.transaction(async (m) => {
      await before(m);
      // The run's row before its calls': the order of an answer (lockForAnswer, then the calls).
      const [run] = await m.query<{ status: RunStatus; lease_owner: string | null }[]>(
        'SELECT status, lease_owner FROM runs WHERE id = $1 FOR UPDATE',
        [runId],
      );
      if (!run || run.status !== RunStatus.Running || run.lease_owner !== owner) {
        // Cancelled while its calls were being recorded: none of them may wait on a finished run.
        if (run && isTerminal(run.status)) await this.provenance.cancelApprovals(m, [runId]);
        return [];
      }
      const awaiting = await this.provenance.awaitingApproval(m, runId);
      if (awaiting.length === 0) {
        // Every call was answered while the run was still working: back to the queue at once.
        return this.transition(
          m,
          `UPDATE runs r SET status = 'pending', error_message = NULL, attempts = greatest(attempts - 1, 0),
                  lease_owner = NULL, lease_expires_at = NULL, available_at = now(), updated_at = now()
            WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
          [runId, owner],
          undefined,
          'its approvals were answered',
        );
      }
      return this.transition(
        m,
        `UPDATE runs r SET status = 'waiting_approval', error_message = $3, attempts = greatest(attempts - 1, 0),
                lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
          WHERE id = $1 AND lease_owner = $2 AND status = 'running'`,
        [runId, owner, reason],
        undefined,
        undefined,
        // The calls themselves, so a webhook consumer can ask a person without reading the run.
        {
          pending_approvals: awaiting.map((c) => ({
            tool_call_id: c.id,
            step: c.stepIndex,
            skill: c.skillId,
            input: c.input,
            reason: c.approvalRequestedReason,
            requested_at: c.approvalRequestedAt?.toISOString() ?? null,
            expires_at: c.approvalExpiresAt?.toISOString() ?? null,
          })),
        },
      );
    });
    return rows.length > 0;
  }

  /** Locks a run for an answer to its approvals, in the caller's transaction; its status, if it exists. */
  async lockForAnswer(m: EntityManager, agentId: string, runId: string): Promise<RunStatus | undefined> {
    const rows = await m.query<{ status: RunStatus }[]>(
      'SELECT status FROM runs WHERE id = $1 AND agent_id = $2 FOR UPDATE',
      [runId, agentId],
    );
    return rows[0]?.status;
  }

  /** Every pending call of a waiting run is answered: back to the queue, ready now. */
  async resumeAfterApproval(m: EntityManager, runId: string): Promise<void> {
    await this.transition(
      m,
      `UPDATE runs r SET status = 'pending', error_message = NULL, available_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'waiting_approval'`,
      [runId],
      undefined,
      'its approvals were answered',
    );
  }

  /** An approval expired: the waiting run is cancelled with the reason. */
  async cancelWaiting(m: EntityManager, runId: string, reason: string): Promise<boolean> {
    const rows = await this.transition(
      m,
      `UPDATE runs r SET status = 'cancelled', error_message = $2, completed_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'waiting_approval'`,
      [runId, reason],
    );
    this.metrics.transitions(rows);
    return rows.length > 0;
  }

  /** Gives runs back to the queue at shutdown; releasing is not a failed attempt. */
  async release(owner: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await this.dataSource.transaction(async (m) => {
      await this.transition(
        m,
        `UPDATE runs r SET status = 'pending', attempts = greatest(attempts - 1, 0), lease_owner = NULL,
                lease_expires_at = NULL, available_at = now(), updated_at = now()
          WHERE id = ANY($1::uuid[]) AND lease_owner = $2 AND status = 'running'`,
        [runIds, owner],
        undefined,
        'released at shutdown: another instance takes it over',
      );
    });
  }

  /**
   * Crash recovery, run by every worker: a running run whose lease lapsed lost its worker. It goes
   * back to pending while it has attempts left, else it fails. Returns how many were reclaimed.
   */
  async reclaimExpired(): Promise<number> {
    const rows = await this.dataSource.transaction(async (m) => {
      const reclaimed = await this.transition(
        m,
        `WITH expired AS (
           SELECT id FROM runs WHERE ${LAPSED_LEASE} FOR UPDATE SKIP LOCKED
         )
         UPDATE runs r SET
           status = CASE WHEN r.attempts < r.max_attempts THEN 'pending'::run_status ELSE 'failed'::run_status END,
           error_message = CASE WHEN r.attempts < r.max_attempts THEN NULL
                                ELSE 'worker lost (lease expired) on each of ' || r.attempts || ' attempts' END,
           completed_at = CASE WHEN r.attempts < r.max_attempts THEN NULL ELSE now() END,
           lease_owner = NULL, lease_expires_at = NULL, available_at = now(), updated_at = now()
         FROM expired WHERE r.id = expired.id`,
        [],
        undefined,
        'its worker stopped renewing the lease: tried again',
      );
      return reclaimed;
    });
    this.metrics.reclaimed(rows.length);
    this.metrics.transitions(rows.filter((r) => r.status === RunStatus.Failed));
    return rows.length;
  }

  /**
   * Cancels an agent's pending, running and waiting runs (or one run) inside the caller's
   * transaction; calls that were waiting for a person are closed with them.
   * Workers executing one of them hear it on RUN_CANCEL_CHANNEL when that transaction commits.
   * (Counted in metrics before that commit: the caller's transaction is not this queue's to watch.)
   */
  async cancel(m: EntityManager, where: { agentId: string; runId?: string }, reason: string): Promise<string[]> {
    const rows = await this.transition(
      m,
      `UPDATE runs r SET status = 'cancelled', error_message = $3, completed_at = now(),
              lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        WHERE agent_id = $1 AND ($2::uuid IS NULL OR id = $2) AND status IN ('pending', 'running', 'waiting_approval')`,
      [where.agentId, where.runId ?? null, reason],
    );
    if (rows.length === 0) return [];
    this.metrics.transitions(rows);
    const ids = rows.map((r) => r.id);
    await this.provenance.cancelApprovals(m, ids);
    await m.query(`SELECT pg_notify('${RUN_CANCEL_CHANNEL}', id) FROM unnest($1::text[]) AS id`, [ids]);
    return ids;
  }

  /**
   * The one way a run's status changes: `update` (an `UPDATE runs r`, without RETURNING) gets the
   * new status back and provenance mirrors it in the same transaction. A new transition written
   * through here cannot leave provenance behind.
   */
  private async transition<R = RunTransition>(
    m: EntityManager,
    update: string,
    params: unknown[],
    alsoReturning?: string,
    reason?: string,
    /** More for the transition's event (what a waiting run waits on). */
    extra?: Record<string, unknown>,
  ): Promise<(R & RunTransition & TransitionRow)[]> {
    const returning =
      'r.id, r.agent_id, r.status, r.error_message, r.completed_at, r.result, r.attempts, r.available_at' +
      (alsoReturning ? `, ${alsoReturning}` : '');
    const rows = returnedRows(
      await m.query<(R & RunTransition & TransitionRow)[] | [(R & RunTransition & TransitionRow)[], number]>(
        `${update} RETURNING ${returning}`,
        params,
      ),
    );
    await this.provenance.recordRunTransitions(m, rows);
    await this.events.append(
      m,
      rows.map((row) => transitionEvent(row, reason, extra)),
    );
    return rows;
  }
}

/**
 * Best runs first, at most `limit` in all, and per agent no more than its free slots
 * (`max_running - running`). Candidates come in queue order.
 */
export function admitRuns<C extends Candidate>(candidates: C[], limit: number): C[] {
  const taken = new Map<string, number>();
  const admitted: C[] = [];
  for (const c of candidates) {
    if (admitted.length >= limit) break;
    const n = taken.get(c.agent_id) ?? 0;
    if (c.running + n >= c.max_running) continue;
    taken.set(c.agent_id, n + 1);
    admitted.push(c);
  }
  return admitted;
}
