import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import type { Actor } from '../../common/actor';
import { TenantIdColumn } from '../../database/tenant-column';
import { TenantEntity } from '../tenant.entity';
import type { Scope } from '../../common/scopes';

/**
 * A tenant API key: the visible prefix finds it, the SHA-256 digest of the whole key proves it
 * (random keys of 256 bits need no slow hash and no pepper). The key itself is shown once.
 */
@Entity('api_keys')
@Index('api_keys_prefix_key', ['tenantId', 'prefix'], { unique: true })
@Index('api_keys_prefix_idx', ['prefix'])
@Index('api_keys_created_at_id_idx', ['tenantId', 'createdAt', 'id'])
export class ApiKeyEntity {
  @TenantIdColumn('api_keys_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'api_keys_pkey' })
  id!: string;

  @ManyToOne(() => TenantEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'api_keys_tenant_id_fkey' })
  tenant?: TenantEntity;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 32 })
  prefix!: string;

  @Column({ type: 'bytea' })
  digest!: Buffer;

  @Column({ type: 'text', array: true })
  scopes!: Scope[];

  @Column({ name: 'created_by', type: 'jsonb' })
  createdBy!: Actor;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3, nullable: true })
  expiresAt!: Date | null;

  @Column({ name: 'last_used_at', type: 'timestamptz', precision: 3, nullable: true })
  lastUsedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;
}
