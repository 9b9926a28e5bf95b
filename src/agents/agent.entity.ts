import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AgentStatus } from './agent-status.enum';

@Entity('agents')
// Serves keyset pagination, newest first, with and without the status filter.
@Index('agents_created_at_id_idx', ['createdAt', 'id'])
@Index('agents_status_created_at_id_idx', ['status', 'createdAt', 'id'])
@Check('agents_max_concurrent_runs_check', '"max_concurrent_runs" BETWEEN 1 AND 100')
export class AgentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'enum', enum: AgentStatus, enumName: 'agent_status', default: AgentStatus.Active })
  status!: AgentStatus;

  // Millisecond precision keeps a JavaScript Date exact, which keyset cursors rely on.
  /** How many of this agent's runs may execute at once (in priority, then submission order). */
  @Column({ name: 'max_concurrent_runs', type: 'integer', default: 1 })
  maxConcurrentRuns!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
