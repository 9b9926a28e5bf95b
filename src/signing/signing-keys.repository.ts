import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { SealedSecret } from '../secrets/secret-box';
import type { SealedStore } from '../secrets/secret-sealer';

export interface SigningKeyRow {
  kid: string;
  alg: string;
  public_jwk: Record<string, unknown>;
  private_ciphertext: string;
  private_key_id: string;
  created_at: Date;
  retired_at: Date | null;
}

const COLUMNS = 'kid, alg, public_jwk, private_ciphertext, private_key_id, created_at, retired_at';

/** The signing_keys table (its only writer). Every statement is cross-tenant work: the operator's table. */
@Injectable()
export class SigningKeysRepository implements SealedStore {
  readonly what = 'token signing keys';

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The keys that still sign or verify: live ones, and retired ones younger than `keepRetiredS`. */
  usable(keepRetiredS: number): Promise<SigningKeyRow[]> {
    return this.dataSource.query<SigningKeyRow[]>(
      `SELECT ${COLUMNS} FROM signing_keys
        WHERE retired_at IS NULL OR retired_at > now() - $1 * interval '1 second'
        ORDER BY created_at DESC, kid`,
      [keepRetiredS],
    );
  }

  /**
   * Adds a key, retiring the live ones when `rotate`; without it, only when no live key exists
   * (instances starting at once create one between them: the advisory lock orders them).
   * Returns whether the key was stored.
   */
  async add(
    key: Omit<SigningKeyRow, 'created_at' | 'retired_at'>,
    rotate: boolean,
    keepRetiredS: number,
  ): Promise<boolean> {
    return this.dataSource.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtextextended('aos:signing-keys', 0))`);
      if (!rotate) {
        const [live] = await m.query<{ n: number }[]>(
          'SELECT count(*)::int AS n FROM signing_keys WHERE retired_at IS NULL',
        );
        if (live.n > 0) return false;
      }
      await m.query('UPDATE signing_keys SET retired_at = now() WHERE retired_at IS NULL');
      // Keys that verify nothing any more go, their sealed private halves with them.
      await m.query(`DELETE FROM signing_keys WHERE retired_at < now() - $1 * interval '1 second'`, [keepRetiredS]);
      await m.query(
        `INSERT INTO signing_keys (kid, alg, public_jwk, private_ciphertext, private_key_id) VALUES ($1, $2, $3, $4, $5)`,
        [key.kid, key.alg, JSON.stringify(key.public_jwk), key.private_ciphertext, key.private_key_id],
      );
      return true;
    });
  }

  async keyIds(): Promise<string[]> {
    const rows = await this.dataSource.query<{ key_id: string }[]>(
      'SELECT DISTINCT private_key_id AS key_id FROM signing_keys',
    );
    return rows.map((r) => r.key_id);
  }

  async resealFrom(
    keyId: string,
    limit: number,
    reseal: (sealed: SealedSecret, aad: string) => SealedSecret,
  ): Promise<number> {
    const rows = await this.dataSource.query<SigningKeyRow[]>(
      `SELECT ${COLUMNS} FROM signing_keys WHERE private_key_id = $1 LIMIT $2`,
      [keyId, limit],
    );
    for (const row of rows) {
      const sealed = reseal({ ciphertext: row.private_ciphertext, keyId: row.private_key_id }, row.kid);
      await this.dataSource.query(
        'UPDATE signing_keys SET private_ciphertext = $2, private_key_id = $3 WHERE kid = $1 AND private_ciphertext = $4',
        [row.kid, sealed.ciphertext, sealed.keyId, row.private_ciphertext],
      );
    }
    return rows.length;
  }
}
