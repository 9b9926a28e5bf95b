import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/**
 * A key AOS signs tokens with: the private half sealed with AOS_SECRET_KEY (so every instance
 * signs with the same keys), the public half as a JWK for /.well-known/jwks.json. The operator's
 * table, not a tenant's. A retired key signs no more but verifies until its tokens have expired.
 */
@Entity('signing_keys')
export class SigningKeyEntity {
  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'signing_keys_pkey' })
  kid!: string;

  @Column({ type: 'varchar', length: 16 })
  alg!: string;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: Record<string, unknown>;

  @Column({ name: 'private_ciphertext', type: 'text' })
  privateCiphertext!: string;

  @Column({ name: 'private_key_id', type: 'varchar', length: 16 })
  privateKeyId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'retired_at', type: 'timestamptz', precision: 3, nullable: true })
  retiredAt!: Date | null;
}
