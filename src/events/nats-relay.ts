import { crossTenant } from '../common/db-scope';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { jetstream, jetstreamManager, JetStreamClient } from '@nats-io/jetstream';
import { connect, nanos, NatsConnection } from '@nats-io/transport-node';
import { Client } from 'pg';
import type { Counter } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { DATABASE_URL } from '../database/database.tokens';
import { PgListener } from '../database/pg-listener';
import { MetricsService } from '../metrics/metrics.service';
import { eventJson } from './events.service';
import { EVENTS_CHANNEL, EventsRepository, StoredEvent } from './events.repository';
import { RetentionHolds } from './retention-holds';

export const NATS_STREAM = 'AOS_EVENTS';
export const NATS_SUBJECTS = 'aos.events.>';
const BATCH = 500;
const PUBLISH_TIMEOUT_MS = 5_000;
const RETRY_MAX_MS = 30_000;
/** The position is saved at least every this many published events (what a crash may publish again). */
const SAVE_EVERY = 50;
/** The leader touches its cursor this often, even idle or cut off from NATS... */
const TOUCH_MS = 60_000;
/** ...and an instance without AOS_NATS_URL honours the relay's hold while the touch is this recent. */
const RELAY_ALIVE_MS = 10 * 60_000;
/** The advisory lock that makes one instance the relay (the others stand by). */
const LEADER_LOCK = 'aos:nats-relay';

/**
 * The NATS subject of an event: `aos.events.<tenant_id>.<agent_id>.<type>`, or for the tenant
 * given as `legacyTenant` (the default one, with AOS_NATS_SUBJECTS=legacy) the subject from before
 * tenancy, `aos.events.<agent_id>.<type>`.
 */
export function subjectOf(event: StoredEvent, legacyTenant?: string): string {
  return event.tenant_id === legacyTenant
    ? `aos.events.${event.agent_id}.${event.type}`
    : `aos.events.${event.tenant_id}.${event.agent_id}.${event.type}`;
}

export type RelayState = 'off' | 'standby' | 'connecting' | 'up' | 'down';

/**
 * Publishes every event to NATS JetStream (stream AOS_EVENTS, created when missing) with the event
 * id as `Nats-Msg-Id`, in id order. Its position is kept in PostgreSQL (the `nats` cursor) and
 * moved only after JetStream acknowledged: a restart or an outage delays delivery but loses
 * nothing, and nothing is published twice except a message in flight when the connection broke
 * (which JetStream's duplicate window drops). One instance relays at a time: the one holding a
 * PostgreSQL advisory lock on its own connection; if it dies, another takes over.
 */
@Injectable()
export class NatsRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(NatsRelay.name);
  private readonly published: Counter;
  state: RelayState = 'off';
  lastError: string | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private nc: NatsConnection | undefined;
  private leader: Client | undefined;
  private connected = false;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(DATABASE_URL) private readonly databaseUrl: string,
    private readonly events: EventsRepository,
    private readonly listener: PgListener,
    holds: RetentionHolds,
    metrics: MetricsService,
  ) {
    // Events the relay has not published yet are kept, however old — by every instance, also one
    // without AOS_NATS_URL, while a relay is alive somewhere (it touches its cursor every minute).
    holds.register('nats', async () => {
      const cursor = await this.events.cursor('nats');
      const alive = cursor.position > 0 && cursor.updatedAt.getTime() > Date.now() - RELAY_ALIVE_MS;
      return config.natsUrl || alive ? cursor.position : undefined;
    });
    this.published = metrics.counter({
      name: 'aos_nats_published_total',
      help: 'Events this instance published to NATS JetStream (each publish call, acknowledged or not)',
    });
    const lag = () => this.lag();
    metrics.gauge({
      name: 'aos_nats_relay_lag_events',
      help: 'Events sequenced but not yet relayed to NATS (0 without AOS_NATS_URL)',
      async collect() {
        this.set(config.natsUrl ? await lag().catch(() => 0) : 0);
      },
    });
  }

  get enabled(): boolean {
    return this.config.natsUrl !== undefined;
  }

  /** Events sequenced but not yet published to NATS. */
  async lag(): Promise<number> {
    const [sequenced, relayed] = await Promise.all([this.events.position('sequence'), this.events.position('nats')]);
    return Math.max(0, sequenced - relayed);
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await this.listener.listen(EVENTS_CHANNEL, () => this.wake?.());
    this.loop = crossTenant('relay', () => this.run());
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.nc?.close().catch(() => undefined);
    await this.leader?.end().catch(() => undefined);
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (!this.stopped) {
      try {
        if (!(await this.lead())) {
          this.state = 'standby';
          await this.sleep(this.config.events.pollMs * 2);
          continue;
        }
        const js = await this.jetstream();
        backoff = 500;
        await this.relay(js);
      } catch (error) {
        if (this.stopped) return;
        this.state = 'down';
        this.lastError = error instanceof Error ? error.message : String(error);
        this.logger.warn({ error: this.lastError }, 'NATS relay interrupted; retrying');
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, RETRY_MAX_MS);
      }
    }
  }

  /** Whether this instance holds the relay lock (taking it when free). */
  private async lead(): Promise<boolean> {
    if (this.leader) return true;
    const client = new Client({
      connectionString: this.databaseUrl,
      application_name: 'aos-nats-relay',
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
      // The lock lives as long as this session: PostgreSQL must notice a dead leader within
      // seconds (not the system's two-hour keepalive) so a standby can take over.
      options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    });
    const lost = () => {
      // Losing the connection loses the lock: relaying stops until it is taken again.
      if (this.leader === client) this.leader = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', lost);
    await client.connect();
    if (!(await this.events.tryLeaderLock(client, LEADER_LOCK))) {
      await client.end();
      return false;
    }
    this.leader = client;
    return true;
  }

  private async jetstream(): Promise<JetStreamClient> {
    if (!this.nc || this.nc.isClosed()) {
      this.state = 'connecting';
      const nc = await connect({
        servers: this.config.natsUrl!.split(',').map((s) => s.trim()),
        name: 'aos-relay',
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        timeout: 5_000,
      });
      this.nc = nc;
      this.connected = true;
      void this.watch(nc);
      const jsm = await jetstreamManager(nc);
      await jsm.streams.info(NATS_STREAM).catch(async () => {
        // Kept as long as AOS keeps events; operators may change the stream's limits afterwards.
        await jsm.streams.add({
          name: NATS_STREAM,
          subjects: [NATS_SUBJECTS],
          max_age: nanos(this.config.events.retentionDays * 86_400_000),
        });
        this.logger.log({ stream: NATS_STREAM }, 'created the NATS JetStream stream');
      });
    }
    return jetstream(this.nc);
  }

  /** Follows the connection: publishing pauses while it is down, so nothing is buffered to go twice. */
  private async watch(nc: NatsConnection): Promise<void> {
    for await (const status of nc.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.state = 'down';
        this.lastError = 'disconnected';
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.state = 'up';
        this.lastError = undefined;
        this.wake?.();
      }
    }
  }

  private async relay(js: JetStreamClient): Promise<void> {
    const legacyTenant = this.config.natsSubjects === 'legacy' ? await this.events.defaultTenantId() : undefined;
    let position = await this.events.position('nats');
    let saved = position;
    let touched = 0;
    this.state = 'up';
    this.lastError = undefined;
    // What was acknowledged is kept, also when a batch breaks off. It is written through the
    // connection holding the lock: an instance that lost the lead cannot move the position.
    const save = async (force = false) => {
      const leader = this.leader;
      if (!leader || (position === saved && !force)) return;
      await this.events.setPosition('nats', position, leader);
      saved = position;
      touched = Date.now();
    };
    while (!this.stopped && this.leader) {
      if (Date.now() - touched > TOUCH_MS) await save(true);
      if (!this.connected) {
        await this.sleep(this.config.events.pollMs);
        continue;
      }
      const batch = await this.events.after(position, BATCH);
      if (batch.length === 0) {
        await this.sleep(this.config.events.pollMs * 5);
        continue;
      }
      try {
        for (const event of batch) {
          if (!this.connected || this.stopped || !this.leader) break;
          this.published.inc();
          await js.publish(subjectOf(event, legacyTenant), eventJson(event), {
            msgID: String(event.id),
            timeout: PUBLISH_TIMEOUT_MS,
          });
          position = event.id;
          if (position - saved >= SAVE_EVERY) await save();
        }
      } finally {
        await save();
      }
    }
  }

  /** Waits `ms`, or less when new events are sequenced (or the relay stops). */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
