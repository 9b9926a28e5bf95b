import { TenantIdColumn, tenantJoin } from '../database/tenant-column';
import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { DeliveryStatus } from './delivery-status.enum';
import { WebhookEntity } from './webhook.entity';

/** One event for one webhook: queued when the event is fanned out, retried until delivered or given up. */
@Entity('webhook_deliveries')
@Index('webhook_deliveries_id_idx', { synchronize: false })
@Index('webhook_deliveries_webhook_event_idx', ['tenantId', 'webhookId', 'eventId'], { unique: true })
@Index('webhook_deliveries_pending_idx', { synchronize: false })
export class WebhookDeliveryEntity {
  @TenantIdColumn('webhook_deliveries_pkey')
  tenantId!: string;

  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'webhook_deliveries_pkey' })
  id!: string;

  @Column({ name: 'webhook_id', type: 'uuid' })
  webhookId!: string;

  @ManyToOne(() => WebhookEntity, { onDelete: 'CASCADE' })
  @JoinColumn(tenantJoin('webhook_id', 'webhook_deliveries_webhook_id_fkey'))
  webhook?: WebhookEntity;

  @Column({ name: 'event_id', type: 'bigint' })
  eventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 64 })
  eventType!: string;

  @Column({ type: 'enum', enum: DeliveryStatus, enumName: 'delivery_status', default: DeliveryStatus.Pending })
  status!: DeliveryStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ name: 'last_attempt_at', type: 'timestamptz', precision: 3, nullable: true })
  lastAttemptAt!: Date | null;

  @Column({ name: 'last_status_code', type: 'integer', nullable: true })
  lastStatusCode!: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;
}
