import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { pgPoolOf } from '../../database/pg-pool';

export interface RefreshTokenRow {
  tenant_id: string;
  id: string;
  family_id: string;
  key_id: string;
  digest: Buffer;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
}

/** The refresh_tokens table (its only writer). */
@Injectable()
export class RefreshTokensRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(
    m: EntityManager | undefined,
    token: { tenantId: string; id: string; familyId: string; keyId: string; digest: Buffer; ttlS: number },
  ): Promise<Date> {
    const sql = `INSERT INTO refresh_tokens (tenant_id, id, family_id, key_id, digest, expires_at)
                 VALUES ($1, $2, $3, $4, $5, now() + $6 * interval '1 second') RETURNING expires_at`;
    const params = [token.tenantId, token.id, token.familyId, token.keyId, token.digest, token.ttlS];
    const rows = m
      ? await m.query<{ expires_at: Date }[]>(sql, params)
      : (await pgPoolOf(this.dataSource).query<{ expires_at: Date }>(sql, params)).rows;
    return rows[0].expires_at;
  }

  /** By id alone (the token names no tenant), locked for the exchange. */
  async lock(m: EntityManager, id: string): Promise<RefreshTokenRow | undefined> {
    const [row] = await m.query<RefreshTokenRow[]>(
      `SELECT tenant_id, id, family_id, key_id, digest, expires_at, used_at, revoked_at
         FROM refresh_tokens WHERE id = $1 FOR UPDATE`,
      [id],
    );
    return row;
  }

  async markUsed(m: EntityManager, row: Pick<RefreshTokenRow, 'tenant_id' | 'id'>): Promise<void> {
    await m.query('UPDATE refresh_tokens SET used_at = now() WHERE tenant_id = $1 AND id = $2', [
      row.tenant_id,
      row.id,
    ]);
  }

  async revokeFamily(m: EntityManager, row: Pick<RefreshTokenRow, 'tenant_id' | 'family_id'>): Promise<void> {
    await m.query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND family_id = $2 AND revoked_at IS NULL',
      [row.tenant_id, row.family_id],
    );
  }

  /** Every refresh token of a key, as the key is revoked. */
  async revokeForKey(tenantId: string, keyId: string): Promise<void> {
    await pgPoolOf(this.dataSource).query(
      'UPDATE refresh_tokens SET revoked_at = now() WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL',
      [tenantId, keyId],
    );
  }

  /** Up to `limit` refresh tokens past their expiry, deleted; how many. */
  async deleteExpired(limit: number): Promise<number> {
    const { rowCount } = await pgPoolOf(this.dataSource).query(
      `DELETE FROM refresh_tokens WHERE (tenant_id, id) IN (
         SELECT tenant_id, id FROM refresh_tokens WHERE expires_at < now() LIMIT $1)`,
      [limit],
    );
    return rowCount ?? 0;
  }

  /** Revokes a key's oldest live families past the `keep` newest (live: holding an unspent token). */
  async capFamilies(m: EntityManager, tenantId: string, keyId: string, keep: number): Promise<void> {
    await m.query(
      `UPDATE refresh_tokens SET revoked_at = now()
        WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL AND used_at IS NULL AND id IN (
          SELECT id FROM refresh_tokens
           WHERE tenant_id = $1 AND key_id = $2 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > now()
           ORDER BY created_at DESC OFFSET $3)`,
      [tenantId, keyId, keep],
    );
  }

  /** Deletes a family's spent tokens but the `keep` most recent. */
  async trimFamily(
    m: EntityManager,
    row: Pick<RefreshTokenRow, 'tenant_id' | 'family_id'>,
    keep: number,
  ): Promise<void> {
    await m.query(
      `DELETE FROM refresh_tokens WHERE tenant_id = $1 AND id IN (
         SELECT id FROM refresh_tokens WHERE tenant_id = $1 AND family_id = $2 AND used_at IS NOT NULL
          ORDER BY used_at DESC OFFSET $3)`,
      [row.tenant_id, row.family_id, keep],
    );
  }
}
