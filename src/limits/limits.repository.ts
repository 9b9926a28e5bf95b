import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import type { TenantLimits } from './tenant-limits';

/**
 * Reads a tenant's limits (the tenants module owns and writes the row) and counts what they
 * bound. The counts that must not race take a transaction-scoped advisory lock per tenant.
 */
@Injectable()
export class LimitsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async limitsOf(tenantId: string): Promise<TenantLimits> {
    const { rows } = await pgPoolOf(this.dataSource).query<{ limits: TenantLimits }>(
      'SELECT limits FROM tenants WHERE id = $1',
      [tenantId],
    );
    return rows[0]?.limits ?? {};
  }

  /**
   * In a creating transaction: the tenant's agents, counted after taking the tenant's lock (so
   * two creations at once cannot both take the last place). The lock ends with the transaction.
   */
  async lockAndCountAgents(m: EntityManager, tenantId: string): Promise<number> {
    await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('aos:agents:' || $1::text, 0))`, [tenantId]);
    const [row] = await m.query<{ n: number }[]>('SELECT count(*)::int AS n FROM agents WHERE tenant_id = $1', [
      tenantId,
    ]);
    return row.n;
  }
}
