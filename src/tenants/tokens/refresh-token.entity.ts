import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { TenantIdColumn, tenantJoin } from '../../database/tenant-column';
import { ApiKeyEntity } from '../keys/api-key.entity';

/**
 * A refresh token: single use, one of a family that descends from one exchange of an API key.
 * Only the SHA-256 digest of its secret is kept. Presenting a used one revokes the whole family
 * (whoever holds the other copy is not its owner); revoking the key revokes every family.
 */
@Entity('refresh_tokens')
@Index('refresh_tokens_id_idx', ['id'])
@Index('refresh_tokens_family_idx', ['tenantId', 'familyId'])
@Index('refresh_tokens_key_idx', ['tenantId', 'keyId'])
export class RefreshTokenEntity {
  @TenantIdColumn('refresh_tokens_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'refresh_tokens_pkey' })
  id!: string;

  @Column({ name: 'family_id', type: 'uuid' })
  familyId!: string;

  @Column({ name: 'key_id', type: 'uuid' })
  keyId!: string;

  @ManyToOne(() => ApiKeyEntity, { onDelete: 'CASCADE' })
  @JoinColumn(tenantJoin('key_id', 'refresh_tokens_key_id_fkey'))
  key?: ApiKeyEntity;

  @Column({ type: 'bytea' })
  digest!: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'used_at', type: 'timestamptz', precision: 3, nullable: true })
  usedAt!: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', precision: 3, nullable: true })
  revokedAt!: Date | null;
}
