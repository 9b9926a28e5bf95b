import type { Actor } from '../common/actor';
import { TenantIdColumn, tenantJoin } from '../database/tenant-column';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { RunEntity } from './run.entity';
import { ToolCallStatus } from './tool-call-status.enum';

/**
 * One step of a run as executed: written ahead (status running) before the skill starts, then
 * completed with its output or error. The provenance record lists these.
 */
@Entity('tool_calls')
@Index('tool_calls_run_step_idx', ['tenantId', 'runId', 'stepIndex'], { unique: true })
@Index('tool_calls_approval_expires_at_idx', { synchronize: false })
export class ToolCallEntity {
  @TenantIdColumn('tool_calls_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'tool_calls_pkey' })
  id!: string;

  @Column({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @ManyToOne(() => RunEntity, { onDelete: 'CASCADE' })
  @JoinColumn(tenantJoin('run_id', 'tool_calls_run_id_fkey'))
  run?: RunEntity;

  @Column({ name: 'step_index', type: 'integer' })
  stepIndex!: number;

  /** The model call that asked for it (model-driven runs); null for planned steps. */
  @Column({ name: 'model_call_index', type: 'integer', nullable: true })
  modelCallIndex!: number | null;

  /** The provider's id of the tool_use block it answers. */
  @Column({ name: 'tool_use_id', type: 'varchar', length: 200, nullable: true })
  toolUseId!: string | null;

  @Column({ name: 'skill_id', type: 'varchar', length: 100 })
  skillId!: string;

  @Column({ type: 'jsonb' })
  input!: unknown;

  @Column({ type: 'jsonb', nullable: true })
  output!: unknown;

  @Column({ type: 'text', nullable: true })
  error!: string | null;

  @Column({ type: 'enum', enum: ToolCallStatus, enumName: 'tool_call_status', default: ToolCallStatus.Running })
  status!: ToolCallStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  startedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;

  @Column({ name: 'duration_ms', type: 'integer', nullable: true })
  durationMs!: number | null;

  // Approval: asked when the call needed a person, answered by one (or expired).
  @Column({ name: 'approval_requested_at', type: 'timestamptz', precision: 3, nullable: true })
  approvalRequestedAt!: Date | null;

  /** Why the call needed a person (the policy, or the taint that made it egress). */
  @Column({ name: 'approval_requested_reason', type: 'text', nullable: true })
  approvalRequestedReason!: string | null;

  @Column({ name: 'approval_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  approvalExpiresAt!: Date | null;

  @Column({ name: 'approval_answered_at', type: 'timestamptz', precision: 3, nullable: true })
  approvalAnsweredAt!: Date | null;

  /** Who approved it (the answering request's actor). */
  @Column({ name: 'approved_by', type: 'jsonb', nullable: true })
  approvedBy!: Actor | null;

  /** Who rejected it (the answering request's actor). */
  @Column({ name: 'rejected_by', type: 'jsonb', nullable: true })
  rejectedBy!: Actor | null;

  /** The `by` the answer carried: a free note beside the actor. */
  @Column({ name: 'answered_by_note', type: 'varchar', length: 200, nullable: true })
  answeredByNote!: string | null;

  @Column({ name: 'approval_reason', type: 'text', nullable: true })
  approvalReason!: string | null;

  /** Served from a replayed run's record: the original call (null when the call was made). */
  @Column({ name: 'replayed_from', type: 'uuid', nullable: true })
  replayedFrom!: string | null;
}
