import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { TenantIdColumn } from '../database/tenant-column';

/**
 * Model calls and tokens per tenant, UTC day, provider and model: added to in the transaction
 * that records each answered call, read by the daily token limit and the usage report.
 */
@Entity('model_usage')
export class ModelUsageEntity {
  @TenantIdColumn('model_usage_pkey')
  tenantId!: string;

  @PrimaryColumn({ type: 'date', primaryKeyConstraintName: 'model_usage_pkey' })
  day!: string;

  @PrimaryColumn({ type: 'varchar', length: 20, primaryKeyConstraintName: 'model_usage_pkey' })
  provider!: string;

  @PrimaryColumn({ type: 'varchar', length: 200, primaryKeyConstraintName: 'model_usage_pkey' })
  model!: string;

  /** One of USAGE_SHARDS rows per counter (by run): concurrent runs of a tenant rarely write the same. */
  @PrimaryColumn({ type: 'smallint', default: 0, primaryKeyConstraintName: 'model_usage_pkey' })
  shard!: number;

  // Named, not imported: the tenants module sits above this one. Usage goes with its tenant.
  @ManyToOne('TenantEntity', { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'tenant_id', foreignKeyConstraintName: 'model_usage_tenant_id_fkey' })
  tenant?: object;

  @Column({ type: 'integer', default: 0 })
  calls!: number;

  @Column({ name: 'input_tokens', type: 'bigint', default: 0 })
  inputTokens!: string;

  @Column({ name: 'output_tokens', type: 'bigint', default: 0 })
  outputTokens!: string;
}
