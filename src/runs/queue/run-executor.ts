import { Inject, Injectable, Logger } from '@nestjs/common';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { pgError } from '../../database/pg-error';
import { RunStatus } from '../../run-record/run-status.enum';
import { LeaseLostError, RunWriter } from '../../run-record/run-writer';
import type { ClaimedRun } from '../../run-record/run-states.repository';
import { retryDelayMs } from '../drivers/outcomes';
import { activeRun, RUN_DRIVERS, RunDriver } from '../drivers/run-driver';
import { RunQueue } from './run-queue';

/**
 * Executes one claimed run with the driver its settings snapshot names (plan-based or
 * model-based). A lost lease ends the execution quietly (another worker has the run, or it was
 * cancelled); an unexpected error puts the run back for a later attempt while attempts last.
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);
  private readonly drivers: Map<string, RunDriver>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(RUN_DRIVERS) drivers: RunDriver[],
    private readonly queue: RunQueue,
    private readonly writer: RunWriter,
  ) {
    this.drivers = new Map(drivers.map((d) => [d.planner, d]));
  }

  async execute(claimed: ClaimedRun, owner: string, signal: AbortSignal): Promise<void> {
    const run = activeRun(claimed, owner, signal);
    try {
      const driver = this.drivers.get(run.settings.planner);
      if (!driver) throw new Error(`no driver for planner ${run.settings.planner}`);
      await driver.drive(run);
      // Whatever path the driver took, nothing it deferred is left uncommitted.
      await this.writer.settle(run.lease);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        this.logger.log({ run_id: run.id }, 'run no longer held by this worker: stopped');
        return;
      }
      if (signal.aborted) return;
      if (pgError(error).code === '23503') {
        // Its record is gone: the agent was deleted while the step ran.
        this.logger.log({ run_id: run.id }, 'run deleted while executing');
        return;
      }
      this.logger.error({ err: error, run_id: run.id }, 'run failed unexpectedly');
      const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
      const { attempts, max_attempts: maxAttempts } = claimed;
      // Most such errors are the database going away for a moment: try again while attempts last.
      await this.queue
        .finish(
          run.lease,
          attempts < maxAttempts
            ? {
                status: RunStatus.Pending,
                errorMessage: message,
                retryAt: new Date(
                  Date.now() + retryDelayMs(attempts, this.config.runRetryBaseMs, this.config.runRetryMaxMs),
                ),
              }
            : { status: RunStatus.Failed, errorMessage: message },
        )
        .catch((e: unknown) =>
          this.logger.error({ err: e, run_id: run.id }, 'could not record the failure; the lease will lapse'),
        );
    }
  }
}
