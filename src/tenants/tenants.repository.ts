import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { pgPoolOf } from '../database/pg-pool';
import { returnedRows } from '../database/returned-rows';
import type { TenantLimits } from '../limits/tenant-limits';
import { TenantStatus } from './tenant-status.enum';
import { TENANT_SLUG, TenantEntity } from './tenant.entity';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COLUMNS = 'id, slug, name, status, limits, created_at AS "createdAt", updated_at AS "updatedAt"';

/** The tenants table: the operator's (not a tenant table itself, so no row-level security). */
@Injectable()
export class TenantsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** By id or slug: what X-AOS-Tenant and the routes accept. */
  async find(given: string, m?: EntityManager, lock = false): Promise<TenantEntity | undefined> {
    const ref = given.toLowerCase();
    // Neither an id nor a slug names no tenant (and never reaches SQL: it may hold a NUL).
    if (!UUID.test(ref) && !TENANT_SLUG.test(ref)) return undefined;
    const where = UUID.test(ref) ? 'id = $1' : 'slug = $1';
    const sql = `SELECT ${COLUMNS} FROM tenants WHERE ${where}${lock ? ' FOR UPDATE' : ''}`;
    const rows = m
      ? await m.query<TenantEntity[]>(sql, [ref])
      : (await pgPoolOf(this.dataSource).query<TenantEntity>(sql, [ref])).rows;
    return rows[0];
  }

  async insert(m: EntityManager, tenant: { slug: string; name: string }): Promise<TenantEntity> {
    const [row] = await m.query<TenantEntity[]>(
      `INSERT INTO tenants (slug, name) VALUES ($1, $2) RETURNING ${COLUMNS}`,
      [tenant.slug, tenant.name],
    );
    return row;
  }

  async update(
    m: EntityManager,
    id: string,
    change: { name?: string; status?: TenantStatus; limits?: TenantLimits },
  ): Promise<TenantEntity> {
    const [row] = returnedRows<TenantEntity>(
      await m.query<TenantEntity[] | [TenantEntity[], number]>(
        `UPDATE tenants SET name = COALESCE($2, name), status = COALESCE($3::tenant_status, status),
                limits = COALESCE($4::jsonb, limits), updated_at = now()
        WHERE id = $1 RETURNING ${COLUMNS}`,
        [id, change.name ?? null, change.status ?? null, change.limits ? JSON.stringify(change.limits) : null],
      ),
    );
    return row;
  }

  async delete(m: EntityManager, id: string): Promise<void> {
    await m.query('DELETE FROM tenants WHERE id = $1', [id]);
  }

  page(query: PageQueryDto) {
    return findPage(this.dataSource.getRepository(TenantEntity).createQueryBuilder('tenant'), query);
  }
}
