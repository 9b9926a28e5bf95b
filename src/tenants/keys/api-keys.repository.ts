import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Actor } from '../../common/actor';
import { findPage, PageQueryDto } from '../../common/pagination';
import type { Scope } from '../../common/scopes';
import { pgPoolOf } from '../../database/pg-pool';
import type { TenantLimits } from '../../limits/tenant-limits';
import { ApiKeyEntity } from './api-key.entity';

/** A key as the credential check needs it. */
export interface KeyRecord {
  tenant_id: string;
  id: string;
  digest: Buffer;
  scopes: Scope[];
  expires_at: Date | null;
  revoked_at: Date | null;
  tenant_status: string;
  /** The tenant's limits (its requests per minute apply to the key). */
  limits: TenantLimits;
}

/** The api_keys table. */
@Injectable()
export class ApiKeysRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    m: EntityManager,
    key: {
      tenantId: string;
      name: string;
      prefix: string;
      digest: Buffer;
      scopes: Scope[];
      expiresAt: Date | null;
      createdBy: Actor;
    },
  ): Promise<ApiKeyEntity> {
    const repo = m.getRepository(ApiKeyEntity);
    return repo.save(repo.create(key));
  }

  page(tenantId: string, query: PageQueryDto) {
    const qb = this.dataSource
      .getRepository(ApiKeyEntity)
      .createQueryBuilder('key')
      .where('key.tenant_id = :tenantId', { tenantId })
      .andWhere('key.revoked_at IS NULL');
    return findPage(qb, query);
  }

  /** Revokes a live key; whether there was one. */
  async revoke(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await pgPoolOf(this.dataSource).query(
      'UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL',
      [tenantId, id],
    );
    return (rowCount ?? 0) > 0;
  }

  /** Keys with this visible prefix, in any tenant (the credential check runs before a tenant is known). */
  async byPrefix(prefix: string): Promise<KeyRecord[]> {
    const { rows } = await pgPoolOf(this.dataSource).query<KeyRecord>(
      `SELECT k.tenant_id, k.id, k.digest, k.scopes, k.expires_at, k.revoked_at, t.status AS tenant_status, t.limits
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.prefix = $1`,
      [prefix],
    );
    return rows;
  }

  /** One key by its tenant and id, as a token minted from it names it. */
  async byId(tenantId: string, id: string): Promise<KeyRecord | undefined> {
    const { rows } = await pgPoolOf(this.dataSource).query<KeyRecord>(
      `SELECT k.tenant_id, k.id, k.digest, k.scopes, k.expires_at, k.revoked_at, t.status AS tenant_status, t.limits
         FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.tenant_id = $1 AND k.id = $2`,
      [tenantId, id],
    );
    return rows[0];
  }

  /** Writes a batch of last-used times (never moving one back). */
  async touch(used: { tenantId: string; id: string; at: Date }[]): Promise<void> {
    if (used.length === 0) return;
    await pgPoolOf(this.dataSource).query(
      `UPDATE api_keys k SET last_used_at = u.at
         FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[]) AS u(tenant_id, id, at)
        WHERE k.tenant_id = u.tenant_id AND k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`,
      [used.map((u) => u.tenantId), used.map((u) => u.id), used.map((u) => u.at)],
    );
  }
}
