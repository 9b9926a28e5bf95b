import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Client } from 'pg';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DATABASE_URL } from '../database/database.tokens';
import { RunExecutor } from './run-executor';
import { RunMetrics } from './run-metrics';
import { ClaimedRun, RUN_CANCEL_CHANNEL, RUN_READY_CHANNEL, RunQueue } from './run-queue';

const LISTENER_RETRY_FIRST_MS = 1_000;
const LISTENER_RETRY_MAX_MS = 30_000;

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
  private listener: Client | undefined;
  private stopping = false;
  private filling: Promise<void> | undefined;
  private fillAgain = false;
  private lastRenewal = Date.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private relistenTimer: NodeJS.Timeout | undefined;
  /** A (re)subscription in progress, awaited at shutdown so its connection is closed too. */
  private listening: Promise<void> | undefined;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly queue: RunQueue,
    private readonly executor: RunExecutor,
    private readonly metrics: RunMetrics,
  ) {}

  get enabled(): boolean {
    return this.config.role !== 'api' && this.config.workerConcurrency > 0;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await this.subscribe();
    const every = (ms: number, task: () => Promise<unknown>) => {
      const timer = setInterval(
        () => void task().catch((e: unknown) => this.logger.warn({ err: e }, 'worker task failed')),
        ms,
      );
      timer.unref();
      this.timers.push(timer);
    };
    const third = Math.max(Math.floor(this.config.runLeaseMs / 3), 250);
    // Pickup is driven by NOTIFY; the poll only catches retries whose time has come and missed wake-ups.
    every(this.config.workerPollMs, async () => {
      if (this.active.size < this.config.workerConcurrency && (await this.queue.hasReadyRuns())) this.kick();
    });
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
    clearTimeout(this.relistenTimer);
    await this.filling;
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
    await this.listening?.catch(() => undefined);
    await this.listener?.end().catch(() => undefined);
    this.listener = undefined;
  }

  /** Claims runs until the worker is full or the queue has nothing ready. */
  kick(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.fillAgain = true;
      return;
    }
    this.filling = this.fill().finally(() => {
      this.filling = undefined;
      if (this.fillAgain) {
        this.fillAgain = false;
        this.kick();
      }
    });
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
    const done = this.executor
      .execute(run, this.owner, controller.signal)
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

  /**
   * Keeps trying to (re)subscribe, with backoff, until it works or the worker stops. One timer at
   * a time, cleared at shutdown, and shutdown is checked again when it fires and after connecting.
   */
  private relisten(delayMs = Math.min(this.config.workerPollMs, LISTENER_RETRY_FIRST_MS)): void {
    if (this.stopping || this.relistenTimer) return;
    this.relistenTimer = setTimeout(() => {
      this.relistenTimer = undefined;
      if (this.stopping) return;
      this.subscribe()
        .then(() => this.kick())
        .catch((error: unknown) => {
          if (this.stopping) return;
          this.logger.warn({ err: error }, 'run notifications unavailable; retrying');
          this.relisten(Math.min(delayMs * 2, LISTENER_RETRY_MAX_MS));
        });
    }, delayMs);
    this.relistenTimer.unref();
  }

  private subscribe(): Promise<void> {
    this.listening = this.listen().finally(() => (this.listening = undefined));
    return this.listening;
  }

  /** A dedicated connection for LISTEN (pooled connections cannot keep a subscription). */
  private async listen(): Promise<void> {
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'aos-worker-listen',
      // A database that does not answer must not hold the start (or a reconnect) forever.
      connectionTimeoutMillis: 5_000,
    });
    client.on('notification', (message) => {
      if (message.channel === RUN_READY_CHANNEL) this.kick();
      else if (message.channel === RUN_CANCEL_CHANNEL && message.payload) {
        this.active.get(message.payload)?.controller.abort(new Error('run cancelled'));
      }
    });
    client.on('error', (error) => {
      if (this.listener === client) this.listener = undefined;
      void client.end().catch(() => undefined);
      if (this.stopping) return;
      this.logger.warn({ err: error }, 'run notifications lost; reconnecting');
      this.relisten();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${RUN_READY_CHANNEL}`);
      await client.query(`LISTEN ${RUN_CANCEL_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.stopping) {
      // Shutdown began while connecting: nobody will end this connection later.
      await client.end().catch(() => undefined);
      return;
    }
    this.listener = client;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
