import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import type { TenantLimits } from '../limits/tenant-limits';
import { TenantStatus } from './tenant-status.enum';

/** What a slug may be: also the tenants_slug_check constraint. */
export const TENANT_SLUG = /^[a-z0-9-]{1,40}$/;

/** A tenant: owns agents and everything under them. Not itself a tenant table (the operator's). */
@Entity('tenants')
@Index('tenants_slug_key', ['slug'], { unique: true })
@Index('tenants_created_at_id_idx', ['createdAt', 'id'])
@Check('tenants_slug_check', `"slug" ~ '${TENANT_SLUG.source}'`)
export class TenantEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'tenants_pkey' })
  id!: string;

  @Column({ type: 'varchar', length: 40 })
  slug!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'enum', enum: TenantStatus, enumName: 'tenant_status', default: TenantStatus.Active })
  status!: TenantStatus;

  /** What the tenant may use (src/limits/tenant-limits.ts); `{}`: no limit beyond the service's. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  limits!: TenantLimits;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
