import { currentActor } from '../common/db-scope';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { findPage, PageQueryDto } from '../common/pagination';
import { ConnectionKind } from '../protocols/connection-kind.enum';
import { ConnectionEntity } from './connection.entity';
import type { SealedSecret } from '../secrets/secret-box';

export interface NewConnection {
  id: string;
  agentId: string;
  name: string;
  kind: ConnectionKind;
  settings: Record<string, unknown>;
  secret: SealedSecret | null;
}

/** The SQL of the connections table, which only the connections module writes. */
@Injectable()
export class ConnectionsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(m: EntityManager, c: NewConnection): Promise<ConnectionEntity> {
    const repo = m.getRepository(ConnectionEntity);
    return repo.save(
      repo.create({
        id: c.id,
        agentId: c.agentId,
        name: c.name,
        kind: c.kind,
        settings: c.settings,
        secretCiphertext: c.secret?.ciphertext ?? null,
        secretKeyId: c.secret?.keyId ?? null,
        createdBy: currentActor(),
      }),
    );
  }

  countForAgent(m: EntityManager, agentId: string): Promise<number> {
    return m.getRepository(ConnectionEntity).countBy({ agentId });
  }

  find(agentId: string, id: string): Promise<ConnectionEntity | null> {
    return this.dataSource.getRepository(ConnectionEntity).findOneBy({ agentId, id });
  }

  findByName(agentId: string, name: string): Promise<ConnectionEntity | null> {
    return this.dataSource.getRepository(ConnectionEntity).findOneBy({ agentId, name });
  }

  lock(m: EntityManager, agentId: string, id: string): Promise<ConnectionEntity | null> {
    return m
      .getRepository(ConnectionEntity)
      .createQueryBuilder('c')
      .where('c.agent_id = :agentId AND c.id = :id', { agentId, id })
      .setLock('pessimistic_write')
      .getOne();
  }

  /** Newest first, keyset-paged. */
  page(agentId: string, query: PageQueryDto) {
    const qb = this.dataSource
      .getRepository(ConnectionEntity)
      .createQueryBuilder('connection')
      .where('connection.agent_id = :agentId', { agentId });
    return findPage(qb, query);
  }

  async update(
    m: EntityManager,
    c: ConnectionEntity,
    changes: { name?: string; settings?: Record<string, unknown>; secret?: SealedSecret | null },
  ): Promise<ConnectionEntity> {
    if (changes.name !== undefined) c.name = changes.name;
    if (changes.settings !== undefined) c.settings = changes.settings;
    if (changes.secret === null) {
      c.secretCiphertext = null;
      c.secretKeyId = null;
    } else if (changes.secret !== undefined) {
      c.secretCiphertext = changes.secret.ciphertext;
      c.secretKeyId = changes.secret.keyId;
    }
    return m.getRepository(ConnectionEntity).save(c);
  }

  async delete(agentId: string, id: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ConnectionEntity).delete({ agentId, id });
    return (result.affected ?? 0) > 0;
  }

  /** The ids of every key that sealed a stored secret. */
  async keyIds(): Promise<string[]> {
    const rows = await this.dataSource.query<{ key_id: string }[]>(
      'SELECT DISTINCT secret_key_id AS key_id FROM connections WHERE secret_key_id IS NOT NULL',
    );
    return rows.map((r) => r.key_id);
  }

  /** Up to `limit` connections whose secret was sealed with `keyId`. */
  sealedWith(keyId: string, limit: number): Promise<ConnectionEntity[]> {
    return this.dataSource.getRepository(ConnectionEntity).find({ where: { secretKeyId: keyId }, take: limit });
  }

  /** Seals again, with `reseal`, up to `limit` secrets sealed with `keyId` (the SecretSealer's store). */
  async resealFrom(
    keyId: string,
    limit: number,
    reseal: (sealed: SealedSecret, aad: string) => SealedSecret,
  ): Promise<number> {
    const batch = await this.sealedWith(keyId, limit);
    for (const c of batch) {
      const sealed = reseal({ ciphertext: c.secretCiphertext!, keyId: c.secretKeyId! }, c.id);
      await this.reseal(c.id, c.secretCiphertext!, sealed);
    }
    return batch.length;
  }

  /** Replaces a secret's ciphertext if it is still the one that was read (a concurrent rotation wins). */
  async reseal(id: string, previousCiphertext: string, sealed: SealedSecret): Promise<void> {
    await this.dataSource.query(
      `UPDATE connections SET secret_ciphertext = $3, secret_key_id = $4
        WHERE id = $1 AND secret_ciphertext = $2`,
      [id, previousCiphertext, sealed.ciphertext, sealed.keyId],
    );
  }
}
