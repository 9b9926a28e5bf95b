import { Injectable } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsService } from '../metrics/metrics.service';
import { RunStatus } from '../run-record/run-status.enum';
import { ReplayMode } from '../run-record/replay-mode.enum';
import { RunStatesRepository } from '../run-record/run-states.repository';

const TERMINAL: ReadonlySet<RunStatus> = new Set([
  RunStatus.Completed,
  RunStatus.Failed,
  RunStatus.Partial,
  RunStatus.Cancelled,
]);

/** The run engine's Prometheus series. Queue figures are read from the database at scrape time. */
@Injectable()
export class RunMetrics {
  private readonly finished: Counter<'status'>;
  private readonly retried: Counter;
  private readonly modelWaits: Counter;
  private readonly pickup: Histogram;
  private readonly reclaimedLeases: Counter;
  private readonly replays: Counter<'mode'>;
  private readonly divergences: Counter<'mode'>;
  private readonly taints: Counter;
  readonly inFlight: Gauge;

  constructor(metrics: MetricsService, runs: RunStatesRepository) {
    this.finished = metrics.counter({
      name: 'aos_runs_finished_total',
      help: 'Runs that reached a terminal status on this instance, by status',
      labelNames: ['status'],
    });
    this.retried = metrics.counter({
      name: 'aos_runs_retried_total',
      help: 'Runs put back to pending for a later attempt by this instance',
    });
    this.modelWaits = metrics.counter({
      name: 'aos_runs_waiting_for_model_total',
      help: 'Times a run went back to the queue because no model provider answered',
    });
    this.pickup = metrics.histogram({
      name: 'aos_run_pickup_seconds',
      help: 'From a run becoming ready (created, or its retry time) to a worker claiming it',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    });
    this.reclaimedLeases = metrics.counter({
      name: 'aos_run_leases_reclaimed_total',
      help: 'Running runs whose worker stopped renewing the lease, reclaimed by this instance',
    });
    this.replays = metrics.counter({
      name: 'aos_replays_total',
      help: 'Replays accepted by this instance, by mode',
      labelNames: ['mode'],
    });
    this.divergences = metrics.counter({
      name: 'aos_replay_divergences_total',
      help: 'Replays that stopped where they asked for another call than the original recorded, by mode',
      labelNames: ['mode'],
    });
    // Every mode shows from the start (at 0), so a rate over them needs no first event.
    for (const mode of Object.values(ReplayMode)) {
      this.replays.inc({ mode }, 0);
      this.divergences.inc({ mode }, 0);
    }
    this.taints = metrics.counter({
      name: 'aos_runs_tainted_total',
      help: 'Runs into whose context outside content entered (a page, a mail, an untrusted memory), on this instance',
    });
    this.inFlight = metrics.gauge({ name: 'aos_worker_runs_in_flight', help: 'Runs this instance executes now' });

    let stats: Promise<Awaited<ReturnType<RunStatesRepository['queueStats']>> | undefined> | undefined;
    // One query per scrape for the three queue gauges; a failing database leaves them as they were.
    const queueStats = () =>
      (stats ??= runs
        .queueStats()
        .catch(() => undefined)
        .finally(() => (stats = undefined)));
    metrics.gauge({
      name: 'aos_runs',
      help: 'Runs by status, for the statuses that are not final (pending, running, waiting_approval)',
      labelNames: ['status'],
      async collect() {
        const s = await queueStats();
        if (!s) return;
        this.set({ status: 'pending' }, s.pending);
        this.set({ status: 'running' }, s.running);
        this.set({ status: 'waiting_approval' }, s.waiting);
      },
    });
    metrics.gauge({
      name: 'aos_queue_depth',
      help: 'Pending runs ready to be claimed now (due, agent active)',
      async collect() {
        const s = await queueStats();
        if (s) this.set(s.ready);
      },
    });
    metrics.gauge({
      name: 'aos_queue_oldest_pending_age_seconds',
      help: 'Age of the oldest run ready to be claimed; 0 when none waits',
      async collect() {
        const s = await queueStats();
        if (s) this.set(s.oldestReadyAgeS);
      },
    });
  }

  transitions(rows: { status: RunStatus }[]): void {
    for (const { status } of rows) {
      if (TERMINAL.has(status)) this.finished.inc({ status });
      else if (status === RunStatus.Pending) this.retried.inc();
    }
  }

  waitingForModel(): void {
    this.modelWaits.inc();
  }

  claimed(runs: { waited_ms: number }[]): void {
    for (const run of runs) this.pickup.observe(run.waited_ms / 1000);
  }

  replayed(mode: string): void {
    this.replays.inc({ mode });
  }

  diverged(mode: string): void {
    this.divergences.inc({ mode });
  }

  tainted(): void {
    this.taints.inc();
  }

  reclaimed(count: number): void {
    if (count > 0) this.reclaimedLeases.inc(count);
  }
}
