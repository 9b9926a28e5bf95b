import type { Actor } from '../common/actor';
import { TenantIdColumn, tenantJoin } from '../database/tenant-column';
import {
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
import { ConnectionKind } from '../protocols/connection-kind.enum';

/**
 * A named account of an agent for its skills: settings in the clear, the secret (password, token)
 * only as AES-256-GCM ciphertext with the id of the key that sealed it.
 */
@Entity('connections')
@Index('connections_agent_name_key', ['tenantId', 'agentId', 'name'], { unique: true })
@Index('connections_agent_created_at_id_idx', ['agentId', 'createdAt', 'id'])
export class ConnectionEntity {
  @TenantIdColumn('connections_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'connections_pkey' })
  id!: string;

  @Column({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @ManyToOne(() => AgentEntity, { onDelete: 'CASCADE' })
  @JoinColumn(tenantJoin('agent_id', 'connections_agent_id_fkey'))
  agent?: AgentEntity;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'enum', enum: ConnectionKind, enumName: 'connection_kind' })
  kind!: ConnectionKind;

  @Column({ type: 'jsonb' })
  settings!: Record<string, unknown>;

  @Column({ name: 'secret_ciphertext', type: 'text', nullable: true })
  secretCiphertext!: string | null;

  @Column({ name: 'secret_key_id', type: 'varchar', length: 16, nullable: true })
  secretKeyId!: string | null;

  /** Who created it (the request's actor). */
  @Column({ name: 'created_by', type: 'jsonb', nullable: true })
  createdBy!: Actor | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
