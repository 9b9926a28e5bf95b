import type { Actor } from '../common/actor';
import { TenantIdColumn } from '../database/tenant-column';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The sealed form of a webhook's signing secrets, as its row stores them. */
export interface SealedWebhookSecrets {
  secretCiphertext: string;
  previousSecretCiphertext: string | null;
  secretKeyId: string;
}

/**
 * A receiver of an agent's events. Not tied to the agent by a foreign key: it outlives the agent
 * long enough to receive `agent.deleted`. `lease_*` is held by the instance sending its
 * deliveries, so they go out in event order, one at a time.
 */
@Entity('webhooks')
@Index('webhooks_id_idx', { synchronize: false })
@Index('webhooks_agent_created_at_id_idx', ['agentId', 'createdAt', 'id'])
export class WebhookEntity {
  @TenantIdColumn('webhooks_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhooks_pkey' })
  id!: string;

  @Column({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @Column({ type: 'text' })
  url!: string;

  /** Type patterns (exact or `prefix.*`); null: every event. */
  @Column({ type: 'text', array: true, nullable: true })
  events!: string[] | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', default: true })
  enabled!: boolean;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason!: string | null;

  /**
   * A secret stored in the clear before secrets were sealed; sealed (and cleared) at the next
   * start. Never written any more.
   */
  @Column({ type: 'text', nullable: true })
  secret!: string | null;

  /** The same for the previous secret. */
  @Column({ name: 'previous_secret', type: 'text', nullable: true })
  previousSecret!: string | null;

  /** The `whsec_…` signing secret (shown once when created or rotated), sealed with AOS_SECRET_KEY. */
  @Column({ name: 'secret_ciphertext', type: 'text', nullable: true })
  secretCiphertext!: string | null;

  /** The secret before the last rotation, sealed, still signing until it expires. */
  @Column({ name: 'previous_secret_ciphertext', type: 'text', nullable: true })
  previousSecretCiphertext!: string | null;

  /** The key that sealed both. */
  @Column({ name: 'secret_key_id', type: 'varchar', length: 16, nullable: true })
  secretKeyId!: string | null;

  @Column({ name: 'previous_secret_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  previousSecretExpiresAt!: Date | null;

  /** Its agent was deleted: it goes once its queue (agent.deleted included) is delivered or given up. */
  @Column({ name: 'retired_at', type: 'timestamptz', precision: 3, nullable: true })
  retiredAt!: Date | null;

  /** Failed attempts in a row (any delivery); a success resets it. Past AOS_WEBHOOK_DISABLE_AFTER_FAILURES it is disabled. */
  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures!: number;

  /** When a sender last took it: claims serve the longest-waiting first. */
  @Column({ name: 'last_served_at', type: 'timestamptz', precision: 3, nullable: true })
  lastServedAt!: Date | null;

  @Column({ name: 'lease_owner', type: 'varchar', length: 100, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'lease_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  leaseExpiresAt!: Date | null;

  /** Who created it (the request's actor). */
  @Column({ name: 'created_by', type: 'jsonb', nullable: true })
  createdBy!: Actor | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
