import { crossTenant } from '../../common/db-scope';
import { Injectable } from '@nestjs/common';
import type { Divergence } from '../../run-record/divergence';
import { ModelCallsRepository } from '../../run-record/model-calls.repository';
import type { ReplayMode } from '../../run-record/replay-mode.enum';
import { RunStatus } from '../../run-record/run-status.enum';
import { LeaseLostError, RunWrite, RunWriter } from '../../run-record/run-writer';
import {
  ClaimCandidate,
  ClaimedRun,
  Lease,
  RunStatesRepository,
  TransitionRow,
} from '../../run-record/run-states.repository';
import type { ToolCallEntity } from '../../run-record/tool-call.entity';
import { ToolCallsRepository } from '../../run-record/tool-calls.repository';
import { divergenceMessage } from '../replay/replay';
import { RunMetrics } from '../run-metrics';
import { admitRuns } from './admit-runs';
import { transitionEvent } from './run-events';

export interface RunEnd {
  status: RunStatus;
  errorMessage: string | null;
  /** Back to pending until then (a retry), instead of ending. */
  retryAt?: Date;
  result?: string | null;
  divergence?: Divergence;
}

/**
 * The durable queue: the runs table, through the run record's named transitions. Each transition
 * here commits with its event (and any work the caller adds) and is counted in the metrics.
 * Claiming takes the best pending runs (priority, then age) whose agent is active and below its
 * concurrency, with FOR UPDATE SKIP LOCKED so instances never wait on each other; an advisory
 * lock per agent serialises the recount of that agent's running runs, so two instances cannot
 * both start its last free slot.
 */
@Injectable()
export class RunQueue {
  constructor(
    private readonly runs: RunStatesRepository,
    private readonly toolCalls: ToolCallsRepository,
    private readonly modelCalls: ModelCallsRepository,
    private readonly writer: RunWriter,
    private readonly metrics: RunMetrics,
  ) {}

  /**
   * Whether a claim could find anything. The worker's periodic poll asks this first, so an idle
   * instance does not open a claim transaction every second (about 3% of a core while idle).
   */
  hasReadyRuns(): Promise<boolean> {
    return crossTenant('claims', () => this.runs.hasReadyRuns());
  }

  hasExpiredLeases(): Promise<boolean> {
    return crossTenant('claims', () => this.runs.hasExpiredLeases());
  }

  /**
   * Claims up to `limit` runs in one transaction (a handful of statements however many it takes),
   * so a worker with many free slots fills them in one round rather than one claim per run.
   */
  async claim(owner: string, leaseMs: number, limit: number): Promise<ClaimedRun[]> {
    if (limit <= 0) return [];
    // Across tenants: the claimed runs then execute each inside its own.
    const claimed = await crossTenant('claims', () =>
      this.writer.guarded(null, async (w) => {
        // A scan of a few times `limit` rows lets several runs of one agent and of many agents be taken in one go.
        const picked = admitRuns(await this.runs.claimCandidates(w.m, Math.max(limit * 4, 32)), limit);
        if (picked.length === 0) return [];
        // An agent (or a tenant with a runs_in_flight limit) whose advisory lock another instance
        // holds right now is skipped until the next round.
        const running = await this.runs.lockAndCountAgents(w.m, [...new Set(picked.map((c) => c.agent_id))]);
        const limited = [...new Set(picked.filter((c) => c.tenant_max_running !== null).map((c) => c.tenant_id))];
        const tenantRunning = await this.runs.lockAndCountTenants(w.m, limited);
        const ids = admitRuns(
          picked
            .filter((c) => running.has(c.agent_id) && (c.tenant_max_running === null || tenantRunning.has(c.tenant_id)))
            .map((c): ClaimCandidate => ({
              ...c,
              running: running.get(c.agent_id)!,
              tenant_running: tenantRunning.get(c.tenant_id) ?? 0,
            })),
          limit,
        );
        if (ids.length === 0) return [];
        const rows = await this.runs.take(
          w.m,
          ids.map((c) => c.id),
          owner,
          leaseMs,
        );
        w.emit(...rows.map((r) => transitionEvent(r)));
        // In queue order (UPDATE ... RETURNING keeps none), so the best runs start first.
        const order = new Map(ids.map((c, i) => [c.id, i]));
        return rows
          .sort((a, b) => order.get(a.id)! - order.get(b.id)!)
          .map((r) => ({ ...r, waited_ms: Math.max(0, r.waited_ms) }));
      }),
    );
    this.metrics.claimed(claimed);
    return claimed;
  }

  /** Extends the leases this worker still holds; returns the ids it no longer holds. */
  renew(owner: string, runIds: string[], leaseMs: number): Promise<string[]> {
    return crossTenant('claims', () => this.runs.renew(owner, runIds, leaseMs));
  }

  /**
   * Ends a run this lease holds (or, with `retryAt`, puts it back for a later attempt), with
   * `also` committed alongside (the memory of its answer). False when the lease no longer holds
   * it (cancelled, or reclaimed by another worker): then nothing is written.
   */
  async finish(lease: Lease, end: RunEnd, also?: (w: RunWrite) => Promise<void>): Promise<boolean> {
    const rows = await this.writer
      .held(
        lease,
        async (w) => {
          const ended = await this.runs.finish(w.m, lease, end);
          if (ended.length === 0) return ended;
          w.emit(...ended.map((r) => transitionEvent(r)));
          if (also) await also(w);
          return ended;
        },
        // What commits alongside may be a memory, which references the agent.
        { agentRow: also !== undefined },
      )
      // The fence of the run's deferred work found the lease gone: the same as the guard matching no row.
      .catch((error: unknown) => {
        if (error instanceof LeaseLostError) return [];
        throw error;
      });
    this.metrics.transitions(rows);
    return rows.length > 0;
  }

  /** A replay that asked for another call than its original recorded ends failed, saying where. */
  async diverge(lease: Lease, divergence: Divergence, mode: ReplayMode): Promise<void> {
    const ended = await this.finish(lease, {
      status: RunStatus.Failed,
      errorMessage: divergenceMessage(divergence),
      divergence,
    });
    if (ended) this.metrics.diverged(mode);
  }

  /**
   * Every model provider failed in a way that may pass: back to pending until `retryAt`, not a
   * failed attempt, but the wait is remembered (`model_wait_since`, `model_waits`) so it stays bounded.
   */
  async waitForModel(lease: Lease, wait: { retryAt: Date; errorMessage: string }): Promise<boolean> {
    const rows = await this.writer.held(lease, async (w) => {
      const waiting = await this.runs.waitForModel(w.m, lease, wait);
      w.emit(...waiting.map((r) => transitionEvent(r)));
      return waiting;
    });
    if (rows.length > 0) this.metrics.waitingForModel();
    return rows.length > 0;
  }

  /** The tenant's daily model tokens are spent: back to the queue until the next UTC day. */
  async waitForTokens(lease: Lease, wait: { until: Date; errorMessage: string; limit: number }): Promise<boolean> {
    const rows = await this.writer.held(lease, async (w) => {
      const waiting = await this.runs.waitForTokens(w.m, lease, wait);
      w.emit(...waiting.map((r) => transitionEvent(r)));
      return waiting;
    });
    return rows.length > 0;
  }

  /**
   * In a step write of the run: it waits for a person on `awaiting` (its calls, locked), leaving
   * its worker (no lease, no slot) — or goes back to the queue at once when every such call was
   * answered while it still worked.
   */
  async awaitApproval(w: RunWrite, lease: Lease, awaiting: ToolCallEntity[], reason: string): Promise<void> {
    const rows = await this.runs.awaitApproval(w.m, lease, awaiting.length > 0, reason);
    w.emit(
      ...rows.map((r) =>
        awaiting.length > 0 ? transitionEvent(r, reason, awaiting) : transitionEvent(r, 'its approvals were answered'),
      ),
    );
  }

  /** In the answer's write: every call the waiting run waits on is answered, back to the queue. */
  async resumeAfterApproval(w: RunWrite, runId: string): Promise<void> {
    const rows = await this.runs.resumeAfterApproval(w.m, runId);
    w.emit(...rows.map((r) => transitionEvent(r, 'its approvals were answered')));
  }

  /** In the expiry's write: nobody answered in time, the waiting run is cancelled with the reason. */
  async expireWaiting(w: RunWrite, runId: string, reason: string): Promise<boolean> {
    const rows = await this.runs.expireWaiting(w.m, runId, reason);
    w.emit(...rows.map((r) => transitionEvent(r)));
    this.metrics.transitions(rows);
    return rows.length > 0;
  }

  /** Gives runs back to the queue at shutdown; releasing is not a failed attempt. */
  async release(owner: string, runIds: string[]): Promise<void> {
    if (runIds.length === 0) return;
    await crossTenant('claims', () =>
      this.writer.guarded(null, async (w) => {
        const rows = await this.runs.release(w.m, owner, runIds);
        w.emit(...rows.map((r) => transitionEvent(r, 'released at shutdown: another instance takes it over')));
      }),
    );
  }

  /**
   * Crash recovery, run by every worker: a running run whose lease lapsed lost its worker. It goes
   * back to pending while it has attempts left, else it fails. Returns how many were reclaimed.
   */
  async reclaimExpired(): Promise<number> {
    const rows = await crossTenant('claims', () =>
      this.writer.guarded(null, async (w) => {
        const reclaimed = await this.runs.reclaim(w.m);
        w.emit(...reclaimed.map((r) => transitionEvent(r, 'its worker stopped renewing the lease: tried again')));
        return reclaimed;
      }),
    );
    this.metrics.reclaimed(rows.length);
    this.metrics.transitions(rows.filter((r) => r.status === RunStatus.Failed));
    return rows.length;
  }

  /**
   * Cancels an agent's pending, running and waiting runs (or one run) in the caller's write, which
   * holds the agent's row. What they left open ends with them (calls waiting for a person, calls in
   * flight); workers executing them hear it on RUN_CANCEL_CHANNEL when that write commits.
   * (Counted in metrics before that commit: the caller's transaction is not this queue's to watch.)
   */
  async cancel(w: RunWrite, where: { agentId: string; runId?: string }, reason: string): Promise<TransitionRow[]> {
    const rows = await this.runs.cancel(w.m, where, reason);
    if (rows.length === 0) return rows;
    w.emit(...rows.map((r) => transitionEvent(r)));
    this.metrics.transitions(rows);
    const ids = rows.map((r) => r.id);
    await this.toolCalls.closeOpen(w.m, ids, {
      awaiting: 'cancelled while waiting for approval',
      running: 'cancelled with its run',
    });
    await this.modelCalls.closeOpen(w.m, ids, 'cancelled with its run');
    await this.runs.notifyCancelled(w.m, ids);
    return rows;
  }
}
