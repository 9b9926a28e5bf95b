import type { Actor } from '../common/actor';
import { TenantIdColumn } from '../database/tenant-column';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The outbox: one row per change, written in the transaction of the change. `pk` is the order of
 * insertion; `id` is the public, gap-safe order, given by the sequencer after the row commits (see
 * event-sequencer.ts). Not tied to the agent by a foreign key: events outlive their agent
 * (`agent.deleted` must still reach the bus and webhooks); retention removes them.
 */
@Entity('events')
@Index('events_id_idx', { synchronize: false })
@Index('events_pk_idx', { synchronize: false })
@Index('events_id_key', { synchronize: false })
@Index('events_unsequenced_idx', { synchronize: false })
@Index('events_agent_id_idx', { synchronize: false })
@Index('events_run_id_idx', { synchronize: false })
@Index('events_created_at_idx', { synchronize: false })
export class EventEntity {
  @TenantIdColumn('events_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'events_pkey' })
  pk!: string;

  @Column({ type: 'bigint', nullable: true })
  id!: string | null;

  @Column({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId!: string | null;

  @Column({ type: 'varchar', length: 64 })
  type!: string;

  @Column({ type: 'jsonb' })
  data!: Record<string, unknown>;

  /** Who caused it: the request's actor, or null when the engine acted on its own. */
  @Column({ type: 'jsonb', nullable: true })
  actor!: Actor | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
