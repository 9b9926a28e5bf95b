import { TenantIdColumn, tenantJoin } from '../database/tenant-column';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ModelCallStatus } from './model-call-status.enum';
import { RunEntity } from './run.entity';

/**
 * One model call of a model-driven run, written ahead (status running) before the request goes
 * out, then completed with the response. A reclaimed run replays its loop from these records: a
 * succeeded call is never requested again. `step` shares one numbering with the run's tool calls.
 */
@Entity('model_calls')
@Index('model_calls_run_call_idx', ['tenantId', 'runId', 'callIndex'], { unique: true })
export class ModelCallEntity {
  @TenantIdColumn('model_calls_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'model_calls_pkey' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn(tenantJoin('run_id', 'model_calls_run_id_fkey'))
  run?: RunEntity;

  /** 0 for the run's first model call, 1 for the next … */
  @Column({ name: 'call_index', type: 'integer' })
  callIndex!: number;

  @Column({ type: 'integer' })
  step!: number;

  @Column({ type: 'enum', enum: ModelCallStatus, enumName: 'model_call_status', default: ModelCallStatus.Running })
  status!: ModelCallStatus;

  /** The provider and model that answered (null until one did). */
  @Column({ type: 'varchar', length: 20, nullable: true })
  provider!: string | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  model!: string | null;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  @Column({ name: 'input_tokens', type: 'integer', nullable: true })
  inputTokens!: number | null;

  @Column({ name: 'output_tokens', type: 'integer', nullable: true })
  outputTokens!: number | null;

  @Column({ name: 'stop_reason', type: 'varchar', length: 50, nullable: true })
  stopReason!: string | null;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  /** The response's content blocks (text and tool_use), normalised across providers. */
  @Column({ type: 'jsonb', nullable: true })
  content!: unknown[] | null;

  /** The memories recalled into this call's context. */
  @Column({ name: 'memory_ids', type: 'uuid', array: true, default: () => "'{}'" })
  memoryIds!: string[];

  /** Served from a replayed run's record: the original call (null when the call was made). */
  @Column({ name: 'replayed_from', type: 'uuid', nullable: true })
  replayedFrom!: string | null;
}
