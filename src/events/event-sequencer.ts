import { crossTenant } from '../common/db-scope';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  QueryRunner,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { CoalescedTask } from '../common/coalesced-task';
import { EventsRepository } from './events.repository';

const BATCH = 5_000;
/**
 * Batches start at least this far apart. Every batch costs a transaction and wakes every instance
 * (streams, workers, webhook fan-out): under a steady write load a few milliseconds gather the
 * appends into far fewer batches; after a quiet spell an append is sequenced at once.
 */
const MIN_INTERVAL_MS = 5;

/**
 * Gives committed events their public ids. Why not the row's own sequence number: two
 * transactions may take numbers 10 and 11 and commit 11 first; a reader that saw 11 and resumes
 * "after 11" would never see 10. Ids given here, after commit, in one transaction per batch that
 * holds a lock row, only grow in the order readers can see them (see EventsRepository.sequence).
 *
 * Every instance runs it, woken by its own appends once their transaction commits (a TypeORM
 * transaction subscriber), and the lock row makes instances take turns (a batch found empty
 * costs one short transaction). A timer catches appends of an instance that died between its
 * commit and its wake-up. Appends do not NOTIFY: see EventsRepository.insert.
 */
@Injectable()
export class EventSequencer implements OnApplicationBootstrap, BeforeApplicationShutdown, EntitySubscriberInterface {
  private readonly logger = new Logger(EventSequencer.name);
  private readonly task = new CoalescedTask(
    () => crossTenant('relay', () => this.drain()),
    (error) => this.logger.warn({ err: error }, 'sequencing events failed; the next append or tick retries'),
    MIN_INTERVAL_MS,
  );
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Transactions that appended events and have not ended yet. */
  private readonly appending = new WeakSet<QueryRunner>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() dataSource: DataSource,
    private readonly events: EventsRepository,
  ) {
    dataSource.subscribers.push(this);
  }

  /** Events were appended through `m`: sequence them once its transaction commits (at once without one). */
  appended(m: EntityManager): void {
    const runner = m.queryRunner;
    if (runner?.isTransactionActive) this.appending.add(runner);
    else this.kick();
  }

  // TypeORM reports savepoints (nested transactions) here too: only the outermost end counts.
  afterTransactionCommit(event: TransactionCommitEvent): void {
    if (!event.queryRunner.isTransactionActive && this.appending.delete(event.queryRunner)) this.kick();
  }

  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) this.appending.delete(event.queryRunner);
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      crossTenant('relay', () => this.events.hasUnsequenced())
        .then((waiting) => waiting && this.kick())
        .catch((error: unknown) => this.logger.warn({ err: error }, 'checking for unsequenced events failed'));
    }, this.config.events.pollMs);
    this.timer.unref();
    this.kick();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.task.stop();
  }

  /** Sequences now, or once more after the run in progress (appends that arrive meanwhile). */
  kick(): void {
    this.task.kick();
  }

  private async drain(): Promise<void> {
    // A full batch may have left more behind.
    while (!this.stopped && (await this.events.sequence(BATCH)) === BATCH);
  }
}
