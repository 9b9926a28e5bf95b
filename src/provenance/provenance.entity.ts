import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { AgentEntity } from '../agents/agent.entity';
import { RunStatus } from './run-status.enum';

/** The audit record of one run; its id is the run id. */
@Entity('provenance')
@Index('provenance_agent_created_at_id_idx', ['agentId', 'createdAt', 'id'])
export class ProvenanceEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @ManyToOne(() => AgentEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'agent_id', foreignKeyConstraintName: 'provenance_agent_id_fkey' })
  agent?: AgentEntity;

  @Column({ type: 'text' })
  goal!: string;

  @Column({ type: 'varchar', length: 100, nullable: true })
  planner!: string | null;

  @Column({ type: 'jsonb', nullable: true })
  plan!: unknown[] | null;

  @Column({ type: 'enum', enum: RunStatus, enumName: 'run_status', default: RunStatus.Pending })
  status!: RunStatus;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;
}
