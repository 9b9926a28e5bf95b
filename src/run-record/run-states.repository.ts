import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import type { Divergence } from './divergence';
import type { ReplayMode } from './replay-mode.enum';
import type { RecalledMemory, RunSettings } from './run-settings';
import { RunStatus } from './run-status.enum';
import { InvalidRunTransitionError, TransitionName, TRANSITIONS } from './run-transitions';
import type { Taint } from './taint';

/**
 * A run a claim may take (`r` = runs, `a` = its agent), concurrency aside. `available_at` has
 * millisecond precision and PostgreSQL rounds (not truncates) when it stores `now()`, so a run made
 * available "now" may carry a time up to half a millisecond ahead: one millisecond of slack keeps a
 * claim woken by its event from missing it. Shared by the claim, its cheap probe and the metrics.
 */
export const READY_RUN = `r.status = 'pending' AND r.available_at <= now() + interval '1 millisecond' AND a.status = 'active'`;

/** Channel carrying the id of a run that was cancelled while it may be executing. */
export const RUN_CANCEL_CHANNEL = 'aos_run_cancel';

/** A running run whose worker stopped renewing its lease. */
export const LAPSED_LEASE = `status = 'running' AND lease_expires_at < now()`;

/** Who holds a running run: its worker and the claim's fencing token. Every step write checks both. */
export interface Lease {
  runId: string;
  agentId: string;
  owner: string;
  epoch: string;
}

/** The agent's policy fields as a write read them (with its lock): the freshest a call can have. */
export interface AgentPolicyRow {
  approval: string;
  skills: string[] | null;
  egress: string[] | null;
  egress_trusted: string[];
  remember_tool_results: boolean;
}

/** A run as a claim hands it to a worker. */
export interface ClaimedRun {
  id: string;
  /** The tenant the run executes in (its writes see only that tenant's rows). */
  tenant_id: string;
  agent_id: string;
  goal: string;
  priority: number;
  attempts: number;
  max_attempts: number;
  /** The fencing token of this claim. */
  lease_epoch: string;
  /** How long it waited to be claimed since it became ready (created, or its retry time came). */
  waited_ms: number;
  /** The agent's settings, frozen into the run by its first claim. */
  settings: RunSettings;
  context: RecalledMemory[] | null;
  input_tokens: number;
  output_tokens: number;
  model_wait_since: Date | null;
  model_waits: number;
  replay_of: string | null;
  replay_mode: ReplayMode | null;
  taint: Taint | null;
  planner: string | null;
  plan: unknown[] | null;
  /** Whether an earlier attempt left model or tool calls (a fresh run has nothing to resume). */
  has_record: boolean;
  /** The agent's policy as the claim found it. */
  policy: AgentPolicyRow;
}

/** A run's row as a transition left it: what its event and the metrics read. */
export interface TransitionRow {
  tenant_id: string;
  id: string;
  agent_id: string;
  status: RunStatus;
  error_message: string | null;
  completed_at: Date | null;
  result: string | null;
  attempts: number;
  available_at: Date;
}

export interface ClaimCandidate {
  id: string;
  agent_id: string;
  max_running: number;
  running: number;
  tenant_id: string;
  /** The tenant's runs_in_flight limit; null: none. */
  tenant_max_running: number | null;
  /** The tenant's running runs: as the scan saw them, then recounted under its lock when it has a limit. */
  tenant_running: number;
}

const TRANSITION_COLUMNS =
  'r.tenant_id, r.id, r.agent_id, r.status, r.error_message, r.completed_at, r.result, r.attempts, r.available_at';

// The settings a run freezes at its first claim, built from its agent's row in the same statement.
const SNAPSHOT = `jsonb_build_object(
  'planner', a.planner, 'instructions', a.instructions, 'models', a.models, 'skills', to_jsonb(a.skills),
  'max_steps', a.max_steps, 'approval', a.approval, 'egress', to_jsonb(a.egress),
  'egress_trusted', to_jsonb(a.egress_trusted), 'remember_tool_results', a.remember_tool_results)`;

const POLICY = `jsonb_build_object('approval', a.approval, 'skills', to_jsonb(a.skills), 'egress', to_jsonb(a.egress),
  'egress_trusted', to_jsonb(a.egress_trusted), 'remember_tool_results', a.remember_tool_results)`;

/**
 * The runs table as the durable queue: every status change (each a named transition whose
 * from-states come from the transition table), claims, leases and their fencing, and the queue's
 * figures. Only the run record writes it.
 */
@Injectable()
export class RunStatesRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  // --- the queue ----------------------------------------------------------------------------

  /** Whether a claim could find anything: one indexed statement on the pool, no transaction. */
  async hasReadyRuns(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ ready: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM runs r JOIN agents a ON a.tenant_id = r.tenant_id AND a.id = r.agent_id WHERE ${READY_RUN}) AS ready`,
    );
    return rows[0].ready;
  }

  async hasExpiredLeases(): Promise<boolean> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ expired: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM runs WHERE ${LAPSED_LEASE}) AS expired`,
    );
    return rows[0].expired;
  }

  /**
   * The best ready runs (priority, then age) of active agents below their concurrency, of tenants
   * below their runs_in_flight (the recount under the lock decides), locked
   * (SKIP LOCKED: instances never wait on each other). Agents at their limit are left out by
   * joining the small set of running runs rather than counting per row.
   */
  claimCandidates(m: EntityManager, scan: number): Promise<ClaimCandidate[]> {
    return m.query<ClaimCandidate[]>(
      `WITH busy AS (
         SELECT agent_id, count(*)::int AS running FROM runs WHERE status = 'running' GROUP BY agent_id
       ), tenant_busy AS (
         SELECT tenant_id, count(*)::int AS running FROM runs WHERE status = 'running' GROUP BY tenant_id
       )
       SELECT r.id, r.agent_id, a.max_concurrent_runs AS max_running, coalesce(b.running, 0) AS running,
              r.tenant_id, (t.limits->>'runs_in_flight')::int AS tenant_max_running, coalesce(tb.running, 0) AS tenant_running
         FROM runs r
         JOIN agents a ON a.tenant_id = r.tenant_id AND a.id = r.agent_id
         JOIN tenants t ON t.id = r.tenant_id
         LEFT JOIN busy b ON b.agent_id = r.agent_id
         LEFT JOIN tenant_busy tb ON tb.tenant_id = r.tenant_id
        WHERE ${READY_RUN} AND coalesce(b.running, 0) < a.max_concurrent_runs
          AND (t.limits->>'runs_in_flight' IS NULL OR coalesce(tb.running, 0) < (t.limits->>'runs_in_flight')::int)
        ORDER BY r.priority DESC, r.created_at, r.id
        LIMIT $1
        FOR UPDATE OF r SKIP LOCKED`,
      [scan],
    );
  }

  /**
   * Lock first, count after, in two statements: a statement sees the database as it was when it
   * began, so a count in the locking statement could miss a claim that another instance committed
   * (releasing the lock) while this one waited. Agents whose lock another instance holds are left
   * out until the next round. Returns each locked agent's running runs.
   */
  async lockAndCountAgents(m: EntityManager, agentIds: string[]): Promise<Map<string, number>> {
    const locked = await m.query<{ agent_id: string }[]>(
      `SELECT l.agent_id FROM unnest($1::uuid[]) AS l(agent_id)
        WHERE pg_try_advisory_xact_lock(hashtextextended(l.agent_id::text, 0))`,
      [agentIds],
    );
    if (locked.length === 0) return new Map();
    const counts = await m.query<{ agent_id: string; running: number }[]>(
      `SELECT l.agent_id,
              (SELECT count(*)::int FROM runs x WHERE x.agent_id = l.agent_id AND x.status = 'running') AS running
         FROM unnest($1::uuid[]) AS l(agent_id)`,
      [locked.map((l) => l.agent_id)],
    );
    return new Map(counts.map((c) => [c.agent_id, c.running]));
  }

  /**
   * The same for tenants with a runs_in_flight limit: each one's lock, then its running runs.
   * Tenants whose lock another instance holds are left out until the next round.
   */
  async lockAndCountTenants(m: EntityManager, tenantIds: string[]): Promise<Map<string, number>> {
    if (tenantIds.length === 0) return new Map();
    const locked = await m.query<{ tenant_id: string }[]>(
      `SELECT l.tenant_id FROM unnest($1::uuid[]) AS l(tenant_id)
        WHERE pg_try_advisory_xact_lock(hashtextextended('aos:tenant-runs:' || l.tenant_id::text, 0))`,
      [tenantIds],
    );
    if (locked.length === 0) return new Map();
    const counts = await m.query<{ tenant_id: string; running: number }[]>(
      `SELECT l.tenant_id,
              (SELECT count(*)::int FROM runs x WHERE x.tenant_id = l.tenant_id AND x.status = 'running') AS running
         FROM unnest($1::uuid[]) AS l(tenant_id)`,
      [locked.map((l) => l.tenant_id)],
    );
    return new Map(counts.map((c) => [c.tenant_id, c.running]));
  }

  /**
   * The claim's transition: running under this worker's lease with a new fencing token, the
   * agent's settings frozen in by the first claim, and everything the worker needs in one answer.
   */
  async take(m: EntityManager, ids: string[], owner: string, leaseMs: number): Promise<(ClaimedRun & TransitionRow)[]> {
    return this.transition<ClaimedRun>(
      m,
      'claim',
      `status = 'running', attempts = r.attempts + 1, lease_owner = $2, lease_epoch = r.lease_epoch + 1,
       lease_expires_at = now() + $3 * interval '1 millisecond', error_message = NULL,
       started_at = coalesce(r.started_at, now()), settings = coalesce(r.settings, ${SNAPSHOT})`,
      `r.id = ANY($1::uuid[])`,
      [ids, owner, leaseMs],
      {
        from: 'agents a',
        where: 'a.tenant_id = r.tenant_id AND a.id = r.agent_id',
        returning: `r.goal, r.priority, r.max_attempts, r.lease_epoch::text AS lease_epoch, r.settings, r.context,
          r.input_tokens, r.output_tokens, r.model_wait_since, r.model_waits, r.replay_of, r.replay_mode, r.taint,
          r.planner, r.plan, ${POLICY} AS policy,
          (EXISTS (SELECT 1 FROM tool_calls t WHERE t.tenant_id = r.tenant_id AND t.run_id = r.id)
            OR EXISTS (SELECT 1 FROM model_calls c WHERE c.tenant_id = r.tenant_id AND c.run_id = r.id)) AS has_record,
          (extract(epoch FROM now() - greatest(r.available_at, r.created_at)) * 1000)::float8 AS waited_ms`,
      },
    );
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
   * The fence of a step write: the run's row, share-locked until the caller's transaction ends,
   * if this lease still holds it (same worker, same claim), with its agent's policy as it is now
   * (the freshest a call can be held to). A reclaim or a cancel waits for the write, and a write
   * after either finds no row: undefined.
   */
  async fence(m: EntityManager, lease: Lease): Promise<AgentPolicyRow | undefined> {
    const [row] = await m.query<{ policy: AgentPolicyRow }[]>(
      `SELECT ${POLICY} AS policy FROM runs r JOIN agents a ON a.tenant_id = r.tenant_id AND a.id = r.agent_id
        WHERE r.id = $1 AND r.lease_owner = $2 AND r.lease_epoch = $3 AND r.status = 'running'
        FOR SHARE OF r`,
      [lease.runId, lease.owner, lease.epoch],
    );
    return row?.policy;
  }

  /** A run's row locked for a change no worker holds it for (an answer, an expiry), and its status. */
  async lock(m: EntityManager, ref: { agentId: string; runId: string }): Promise<RunStatus | undefined> {
    const [row] = await m.query<{ status: RunStatus }[]>(
      'SELECT status FROM runs WHERE id = $1 AND agent_id = $2 FOR UPDATE',
      [ref.runId, ref.agentId],
    );
    return row?.status;
  }

  // --- the named transitions ------------------------------------------------------------------

  /** Ends a run this lease holds (or, with `retryAt`, puts it back for a later attempt). */
  finish(
    m: EntityManager,
    lease: Lease,
    outcome: {
      status: RunStatus;
      errorMessage: string | null;
      retryAt?: Date;
      result?: string | null;
      divergence?: Divergence;
    },
  ): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'finish',
      `status = $4, error_message = $5, lease_owner = NULL, lease_expires_at = NULL,
       completed_at = CASE WHEN $6::timestamptz IS NULL THEN now() END,
       available_at = coalesce($6, r.available_at), result = coalesce($7, r.result),
       divergence = coalesce($8::jsonb, r.divergence)`,
      `r.id = $1 AND r.lease_owner = $2 AND r.lease_epoch = $3`,
      [
        lease.runId,
        lease.owner,
        lease.epoch,
        outcome.status,
        outcome.errorMessage,
        outcome.retryAt ?? null,
        outcome.result ?? null,
        outcome.divergence ? JSON.stringify(outcome.divergence) : null,
      ],
    );
  }

  /** No model answered: back to pending until `retryAt`, not counted as an attempt, the wait remembered. */
  waitForModel(
    m: EntityManager,
    lease: Lease,
    wait: { retryAt: Date; errorMessage: string },
  ): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'waitForModel',
      `status = 'pending', error_message = $4, attempts = greatest(r.attempts - 1, 0),
       model_wait_since = coalesce(r.model_wait_since, now()), model_waits = r.model_waits + 1,
       lease_owner = NULL, lease_expires_at = NULL, available_at = $5`,
      `r.id = $1 AND r.lease_owner = $2 AND r.lease_epoch = $3`,
      [lease.runId, lease.owner, lease.epoch, wait.errorMessage, wait.retryAt],
    );
  }

  /**
   * The tenant's daily model tokens are spent: back to pending until `until` (the next UTC day),
   * not counted as an attempt, and not a wait for a model (AOS_LLM_MAX_WAIT_MS does not run).
   * When the tenant's limit is no longer the `limit` the decision read (raised, removed, or
   * turned to `fail` meanwhile), the
   * run is ready at once instead: a raise committed before this statement is seen here, one
   * committed after it wakes the run itself (`wakeTokenLimited`, which runs after the change).
   */
  waitForTokens(
    m: EntityManager,
    lease: Lease,
    wait: { until: Date; errorMessage: string; limit: number },
  ): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'waitForTokens',
      // A model wait begun before starts afresh after it: the hours spent waiting for tokens
      // must not be counted against AOS_LLM_MAX_WAIT_MS.
      `status = 'pending', error_message = $4, attempts = greatest(r.attempts - 1, 0), model_wait_since = NULL,
       lease_owner = NULL, lease_expires_at = NULL,
       available_at = CASE
         WHEN (SELECT t.limits->>'model_tokens_per_day' = $6 AND coalesce(t.limits->>'on_token_limit', 'wait') = 'wait'
                 FROM tenants t WHERE t.id = r.tenant_id)
         THEN $5::timestamptz ELSE now() END`,
      `r.id = $1 AND r.lease_owner = $2 AND r.lease_epoch = $3`,
      [lease.runId, lease.owner, lease.epoch, wait.errorMessage, wait.until, String(wait.limit)],
    );
  }

  /**
   * A tenant's limits changed (committed): its runs waiting on the daily token limit are ready
   * again. Inside a statement of its own after the change, so a wait being written right now is
   * either seen here or sees the new limit itself.
   */
  async wakeTokenLimited(tenantId: string, reasonPrefix: string): Promise<void> {
    await pgPoolOf(this.dataSource).query(
      `UPDATE runs SET available_at = now()
        WHERE tenant_id = $1 AND status = 'pending' AND available_at > now() AND starts_with(error_message, $2)`,
      [tenantId, reasonPrefix],
    );
  }

  /**
   * A call waits for a person: the run leaves its worker (no lease, no slot) — or, when every
   * such call was answered while it still worked, goes back to the queue at once. Not an attempt.
   */
  awaitApproval(m: EntityManager, lease: Lease, waiting: boolean, reason: string): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'awaitApproval',
      waiting
        ? `status = 'waiting_approval', error_message = $4, attempts = greatest(r.attempts - 1, 0),
           lease_owner = NULL, lease_expires_at = NULL`
        : `status = 'pending', error_message = NULL, attempts = greatest(r.attempts - 1, 0),
           lease_owner = NULL, lease_expires_at = NULL, available_at = now()`,
      `r.id = $1 AND r.lease_owner = $2 AND r.lease_epoch = $3 AND $4::text IS NOT NULL`,
      [lease.runId, lease.owner, lease.epoch, reason],
    );
  }

  /** Every call a waiting run waits on is answered: back to the queue, ready now. */
  resumeAfterApproval(m: EntityManager, runId: string): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'resumeAfterApproval',
      `status = 'pending', error_message = NULL, available_at = now()`,
      `r.id = $1`,
      [runId],
    );
  }

  /** A waiting call expired: the run is cancelled with the reason. */
  expireWaiting(m: EntityManager, runId: string, reason: string): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'expireWaiting',
      `status = 'cancelled', error_message = $2, completed_at = now()`,
      `r.id = $1`,
      [runId, reason],
    );
  }

  /** Shutdown gives runs back to the queue; not a failed attempt. */
  release(m: EntityManager, owner: string, runIds: string[]): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'release',
      `status = 'pending', attempts = greatest(r.attempts - 1, 0), lease_owner = NULL, lease_expires_at = NULL,
       available_at = now()`,
      `r.id = ANY($1::uuid[]) AND r.lease_owner = $2`,
      [runIds, owner],
    );
  }

  /** Running runs whose lease lapsed: back to pending while attempts are left, else failed. */
  reclaim(m: EntityManager): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'reclaim',
      `status = CASE WHEN r.attempts < r.max_attempts THEN 'pending'::run_status ELSE 'failed'::run_status END,
       error_message = CASE WHEN r.attempts < r.max_attempts THEN NULL
                            ELSE 'worker lost (lease expired) on each of ' || r.attempts || ' attempts' END,
       completed_at = CASE WHEN r.attempts < r.max_attempts THEN NULL ELSE now() END,
       lease_owner = NULL, lease_expires_at = NULL, available_at = now()`,
      `r.id IN (SELECT id FROM runs WHERE ${LAPSED_LEASE} FOR UPDATE SKIP LOCKED)`,
      [],
    );
  }

  /** Cancels an agent's unfinished runs, or one of them. */
  cancel(m: EntityManager, where: { agentId: string; runId?: string }, reason: string): Promise<TransitionRow[]> {
    return this.transition(
      m,
      'cancel',
      `status = 'cancelled', error_message = $3, completed_at = now(), lease_owner = NULL, lease_expires_at = NULL`,
      `r.agent_id = $1 AND ($2::uuid IS NULL OR r.id = $2)`,
      [where.agentId, where.runId ?? null, reason],
    );
  }

  /**
   * One status change: `set` and `where` of an `UPDATE runs r`, guarded by the from-states of
   * the named transition (from the transition table, never written by hand), returning the row
   * as the transition left it. A row that ends in a state the transition may not reach is a bug:
   * it throws rather than commit.
   */
  private async transition<R = object>(
    m: EntityManager,
    name: TransitionName,
    set: string,
    where: string,
    params: unknown[],
    join?: { from: string; where: string; returning: string },
  ): Promise<(R & TransitionRow)[]> {
    const { from, to } = TRANSITIONS[name];
    const guard = `$${params.length + 1}::run_status[]`;
    const rows = returnedRows(
      await m.query<(R & TransitionRow)[] | [(R & TransitionRow)[], number]>(
        `UPDATE runs r SET ${set}, updated_at = now()
           ${join ? `FROM ${join.from}` : ''}
          WHERE (${where}) AND r.status = ANY(${guard}) ${join ? `AND ${join.where}` : ''}
          RETURNING ${TRANSITION_COLUMNS}${join ? `, ${join.returning}` : ''}`,
        [...params, from],
      ),
    );
    for (const row of rows) {
      if (!to.includes(row.status)) throw new InvalidRunTransitionError(from, row.status);
    }
    return rows;
  }

  /** Workers executing these runs hear it when the caller's transaction commits. */
  async notifyCancelled(m: EntityManager, runIds: string[]): Promise<void> {
    await m.query(`SELECT pg_notify('${RUN_CANCEL_CHANNEL}', id) FROM unnest($1::text[]) AS id`, [runIds]);
  }

  /**
   * Queue figures for /metrics, read through the partial indexes on pending and running runs, so
   * the cost follows the queue, not the history.
   */
  async queueStats(): Promise<{
    pending: number;
    running: number;
    waiting: number;
    ready: number;
    oldestReadyAgeS: number;
  }> {
    const { rows } = await pgPoolOf(this.dataSource).query<{
      pending: number;
      running: number;
      waiting: number;
      ready: number;
      oldest: number | null;
    }>(
      `SELECT count(*) FILTER (WHERE r.status = 'pending')::int AS pending,
              count(*) FILTER (WHERE r.status = 'running')::int AS running,
              count(*) FILTER (WHERE r.status = 'waiting_approval')::int AS waiting,
              count(*) FILTER (WHERE ${READY_RUN})::int AS ready,
              extract(epoch FROM now() - min(r.created_at) FILTER (WHERE ${READY_RUN}))::float8 AS oldest
         FROM runs r JOIN agents a ON a.tenant_id = r.tenant_id AND a.id = r.agent_id
        WHERE r.status IN ('pending', 'running', 'waiting_approval')`,
    );
    const [row] = rows;
    return {
      pending: row.pending,
      running: row.running,
      waiting: row.waiting,
      ready: row.ready,
      oldestReadyAgeS: row.oldest ?? 0,
    };
  }
}
