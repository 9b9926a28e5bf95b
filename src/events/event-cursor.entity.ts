import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * Positions in the event log that must survive restarts: `sequence` (the last id given out),
 * `pruned` (the last id retention removed), `nats` (the last id the relay published), `webhooks`
 * (the last id fanned out to webhook deliveries). Each row is also the lock of its owner's work.
 */
@Entity('event_cursors')
export class EventCursorEntity {
  @PrimaryColumn({ type: 'varchar', length: 50, primaryKeyConstraintName: 'event_cursors_pkey' })
  name!: string;

  @Column({ type: 'bigint', default: 0 })
  position!: string;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
