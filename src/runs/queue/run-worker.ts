import { inTenant } from '../../common/db-scope';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { PgListener } from '../../database/pg-listener';
import { CoalescedTask } from '../../common/coalesced-task';
import { EventBus } from '../../events/event-bus';
import { RunExecutor } from './run-executor';
import { RunMetrics } from '../run-metrics';
import { ClaimedRun, RUN_CANCEL_CHANNEL } from '../../run-record/run-states.repository';
import { RunQueue } from './run-queue';

interface ActiveRun {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * Claims and executes runs, up to AOS_WORKER_CONCURRENCY at once. Holds a lease per run and
 * renews it; reclaims runs whose worker died; aborts a run the moment its cancellation is
 * NOTIFYed. On shutdown it stops claiming, lets running steps finish within the grace period,
 * then aborts and releases what is left for another instance.
 */
@Injectable()
export class RunWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RunWorker.name);
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly active = new Map<string, ActiveRun>();
  private readonly timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private lastRenewal = Date.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private readonly unlisten: (() => void)[] = [];
  private readonly probe = new CoalescedTask(
    () => this.probeReady(),
    (e: unknown) => this.logger.warn({ err: e }, 'looking for ready runs failed'),
  );
  /** Claims until full; a kick while it claims makes one more round after it. */
  private readonly filler = new CoalescedTask(
    () => this.fill(),
    (e: unknown) => this.logger.warn({ err: e }, 'claiming runs failed'),
  );

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly listener: PgListener,
    private readonly queue: RunQueue,
    private readonly executor: RunExecutor,
    private readonly metrics: RunMetrics,
    private readonly bus: EventBus,
  ) {}

  get enabled(): boolean {
    return this.config.role !== 'api' && this.config.workerConcurrency > 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    // Every change that may make a run ready (a goal accepted, a run ended, an agent resumed, a
    // lease reclaimed) appends an event; their sequencing, on any instance, wakes every worker.
    // No NOTIFY of its own: PostgreSQL serialises the commits of notifying transactions.
    // Most batches are of steps and model calls: one indexed EXISTS decides before a claim.
    this.unlisten.push(this.bus.onSequenced(() => this.probe.kick()));
    this.unlisten.push(
      await this.listener.listen(RUN_CANCEL_CHANNEL, (runId) =>
        this.active.get(runId)?.controller.abort(new Error('run cancelled')),
      ),
    );
    // Notifications sent while the connection was down are lost: look for ready runs again.
    this.unlisten.push(this.listener.onReconnect(() => this.kick()));
    const every = (ms: number, task: () => Promise<unknown>) => {
      const timer = setInterval(
        () => void task().catch((e: unknown) => this.logger.warn({ err: e }, 'worker task failed')),
        ms,
      );
      timer.unref();
      this.timers.push(timer);
    };
    const third = Math.max(Math.floor(this.config.runLeaseMs / 3), 250);
    // Pickup is driven by sequenced events; the poll only catches retries whose time has come and missed wake-ups.
    every(this.config.workerPollMs, () => this.probeReady());
    every(third, async () => {
      if (await this.queue.hasExpiredLeases()) await this.queue.reclaimExpired();
    });
    // Leases are renewed until the runs are released, the shutdown drain included.
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), third);
    this.heartbeatTimer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.enabled || this.stopping) return;
    this.stopping = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const unlisten of this.unlisten) unlisten();
    await this.probe.stop();
    await this.filler.stop();
    const pending = [...this.active.values()].map((a) => a.done);
    if (pending.length > 0) {
      this.logger.log({ runs: pending.length, grace_ms: this.config.shutdownGraceMs }, 'draining runs');
      await Promise.race([Promise.all(pending), sleep(this.config.shutdownGraceMs)]);
    }
    const leftover = [...this.active.keys()];
    for (const run of this.active.values()) run.controller.abort(new Error('shutting down'));
    await Promise.allSettled([...this.active.values()].map((a) => a.done));
    clearInterval(this.heartbeatTimer);
    await this.queue
      .release(this.owner, leftover)
      .catch((e: unknown) => this.logger.warn({ err: e }, 'release failed'));
  }

  /** Claims only when there is room and a run is ready (the cheap check before a claim transaction). */
  private async probeReady(): Promise<void> {
    if (this.active.size < this.config.workerConcurrency && (await this.queue.hasReadyRuns())) this.kick();
  }

  /** Claims runs until the worker is full or the queue has nothing ready. */
  kick(): void {
    if (!this.stopping) this.filler.kick();
  }

  private async fill(): Promise<void> {
    try {
      while (!this.stopping && this.active.size < this.config.workerConcurrency) {
        const runs = await this.queue.claim(
          this.owner,
          this.config.runLeaseMs,
          this.config.workerConcurrency - this.active.size,
        );
        if (runs.length === 0) return;
        if (this.stopping) {
          // Shutdown began while this claim was in flight: give the runs straight back.
          await this.queue.release(
            this.owner,
            runs.map((r) => r.id),
          );
          return;
        }
        for (const run of runs) this.start(run);
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'claiming runs failed');
    }
  }

  private start(run: ClaimedRun): void {
    const controller = new AbortController();
    // Claimed across tenants; executed inside the run's own.
    const done = inTenant(run.tenant_id, () => this.executor.execute(run, this.owner, controller.signal))
      .catch((error: unknown) => this.logger.error({ err: error, run_id: run.id }, 'run crashed'))
      .finally(() => {
        this.active.delete(run.id);
        this.metrics.inFlight.set(this.active.size);
        this.kick();
      });
    this.active.set(run.id, { controller, done });
    this.metrics.inFlight.set(this.active.size);
  }

  private async heartbeat(): Promise<void> {
    try {
      const lost = await this.queue.renew(this.owner, [...this.active.keys()], this.config.runLeaseMs);
      this.lastRenewal = Date.now();
      for (const id of lost) this.active.get(id)?.controller.abort(new Error('run cancelled or lease lost'));
    } catch (error) {
      this.logger.warn({ err: error }, 'lease renewal failed');
      // Past its lease another instance may already run these: stop rather than run them twice.
      if (Date.now() - this.lastRenewal > this.config.runLeaseMs) {
        for (const run of this.active.values()) run.controller.abort(new Error('lease could not be renewed'));
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
