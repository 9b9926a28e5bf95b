import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { AgentStatus } from './agent-status.enum';

@Entity('agents')
// Serves keyset pagination, newest first, with and without the status filter.
@Index('agents_created_at_id_idx', ['createdAt', 'id'])
@Index('agents_status_created_at_id_idx', ['status', 'createdAt', 'id'])
export class AgentEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'enum', enum: AgentStatus, enumName: 'agent_status', default: AgentStatus.Active })
  status!: AgentStatus;

  // Millisecond precision keeps a JavaScript Date exact, which keyset cursors rely on.
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
