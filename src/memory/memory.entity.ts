import { TenantIdColumn, tenantJoin } from '../database/tenant-column';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { RunEntity } from '../run-record/run.entity';
import { MemoryType } from '../skills/memory-type.enum';

@Entity('memories')
@Index('memories_agent_created_at_id_idx', ['agentId', 'createdAt', 'id'])
@Index('memories_agent_type_created_at_idx', ['agentId', 'memoryType', 'createdAt'])
@Index('memories_run_step_idx', ['tenantId', 'runId', 'stepIndex'], { unique: true })
export class MemoryEntity {
  @TenantIdColumn('memories_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'memories_pkey' })
  id!: string;

  @Column({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @ManyToOne(() => AgentEntity, { onDelete: 'CASCADE', createForeignKeyConstraints: true })
  @JoinColumn(tenantJoin('agent_id', 'memories_agent_id_fkey'))
  agent?: AgentEntity;

  @Column({ name: 'memory_type', type: 'enum', enum: MemoryType, enumName: 'memory_type' })
  memoryType!: MemoryType;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'jsonb', nullable: true })
  meta!: Record<string, unknown> | null;

  /** The run step that wrote this memory, if a run did. */
  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId!: string | null;

  @ManyToOne(() => RunEntity, { onDelete: 'SET NULL' })
  @JoinColumn(tenantJoin('run_id', 'memories_run_id_fkey'))
  run?: RunEntity;

  @Column({ name: 'step_index', type: 'integer', nullable: true })
  stepIndex!: number | null;

  /**
   * False when it came from outside AOS (a skill read it from the world) or a tainted run wrote it:
   * recalling it taints the run that recalls it.
   */
  @Column({ type: 'boolean', default: true })
  trusted!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  // Full-text recall: PostgreSQL keeps this in step with `text`; the GIN index is in the migration.
  @Index('memories_search_idx', { synchronize: false })
  @Column({
    type: 'tsvector',
    select: false,
    insert: false,
    update: false,
    generatedType: 'STORED',
    asExpression: `to_tsvector('english', "text")`,
  })
  search?: string;

  // The lexemes the text repeats (scored above a single mention): recall's second candidate set.
  @Index('memories_search_repeats_idx', { synchronize: false })
  @Column({
    name: 'search_repeats',
    type: 'tsvector',
    select: false,
    insert: false,
    update: false,
    generatedType: 'STORED',
    asExpression: `aos_repeated_lexemes(to_tsvector('english', "text"))`,
  })
  searchRepeats?: string;
}
