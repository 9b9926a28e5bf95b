import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { pgPoolOf } from '../database/pg-pool';
import type { TenantLimits } from './tenant-limits';

/** Reads a tenant's limits (the tenants module owns and writes the row). */
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
}
