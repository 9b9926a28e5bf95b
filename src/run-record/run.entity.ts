import type { Actor } from '../common/actor';
import { TenantIdColumn, tenantJoin } from '../database/tenant-column';
import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { RunStatus } from './run-status.enum';
import { ReplayMode } from './replay-mode.enum';
import type { Divergence } from './divergence';
import type { RecalledMemory, RunSettings } from './run-settings';
import type { Taint } from './taint';

/**
 * A goal being worked on, and its place in the durable queue: a pending run is a job, claimed by
 * a worker under a lease (lease_owner, lease_expires_at) that the worker keeps renewing.
 */
@Entity('runs')
@Index('runs_id_idx', { synchronize: false })
@Check('runs_priority_check', '"priority" BETWEEN 0 AND 9')
@Index('runs_agent_created_at_id_idx', ['agentId', 'createdAt', 'id'])
@Index('runs_tenant_created_at_idx', ['tenantId', 'createdAt'])
@Index('runs_agent_idempotency_key_idx', ['tenantId', 'agentId', 'idempotencyKey'], { unique: true })
@Index('runs_pending_pickup_idx', { synchronize: false })
@Index('runs_running_lease_idx', { synchronize: false })
@Index('runs_agent_running_idx', { synchronize: false })
export class RunEntity {
  /** Also the id of its provenance record: the run is its own audit record. */
  @TenantIdColumn('runs_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'runs_pkey' })
  id!: string;

  @Column({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @ManyToOne(() => AgentEntity, { onDelete: 'CASCADE' })
  @JoinColumn(tenantJoin('agent_id', 'runs_agent_id_fkey'))
  agent?: AgentEntity;

  @Column({ type: 'text' })
  goal!: string;

  /** Who submitted the goal (the request's actor). */
  @Column({ name: 'submitted_by', type: 'jsonb', nullable: true })
  submittedBy!: Actor | null;

  @Column({ type: 'smallint', default: 5 })
  priority!: number;

  @Column({ type: 'enum', enum: RunStatus, enumName: 'run_status', default: RunStatus.Pending })
  status!: RunStatus;

  @Column({ name: 'idempotency_key', type: 'varchar', length: 200, nullable: true })
  idempotencyKey!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'max_attempts', type: 'integer', default: 3 })
  maxAttempts!: number;

  @Column({ name: 'available_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  availableAt!: Date;

  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  /**
   * The fencing token: it grows with every claim, and each write of the run's steps checks it
   * with the owner, so a worker that lost its lease writes nothing more.
   */
  @Column({ name: 'lease_epoch', type: 'bigint', default: 0 })
  leaseEpoch!: string;

  /** Which planner made the plan (`rule-based@1`), for a planned run. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  planner!: string | null;

  /** A planned run's steps, recorded before any runs. */
  @Column({ type: 'jsonb', nullable: true })
  plan!: unknown[] | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  /** The agent settings the run used, snapshotted when it first started. */
  @Column({ type: 'jsonb', nullable: true })
  settings!: RunSettings | null;

  /** The memories recalled into a model-driven run's context, as they were (replay needs them). */
  @Column({ type: 'jsonb', nullable: true })
  context!: RecalledMemory[] | null;

  /** When outside content first entered the run's context (null: it never did). */
  @Column({ type: 'jsonb', nullable: true })
  taint!: Taint | null;

  /** The model's final answer. */
  @Column({ type: 'text', nullable: true })
  result!: string | null;

  @Column({ name: 'model_calls', type: 'integer', default: 0 })
  modelCalls!: number;

  @Column({ name: 'input_tokens', type: 'integer', default: 0 })
  inputTokens!: number;

  @Column({ name: 'output_tokens', type: 'integer', default: 0 })
  outputTokens!: number;

  /** Since when every model provider has failed for this run (null while they answer). */
  @Column({ name: 'model_wait_since', type: 'timestamptz', precision: 3, nullable: true })
  modelWaitSince!: Date | null;

  /** How many times in a row it went back to the queue to wait for a model (its backoff exponent). */
  @Column({ name: 'model_waits', type: 'integer', default: 0 })
  modelWaits!: number;

  /** The run this one replays (null for a goal). */
  @Column({ name: 'replay_of', type: 'uuid', nullable: true })
  replayOf!: string | null;

  @Column({ name: 'replay_mode', type: 'enum', enum: ReplayMode, enumName: 'replay_mode', nullable: true })
  replayMode!: ReplayMode | null;

  /** Where a replay asked for another call than its original recorded; it stopped failed there. */
  @Column({ type: 'jsonb', nullable: true })
  divergence!: Divergence | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
