/** State of one webhook delivery. Stored as the PostgreSQL enum `delivery_status`. */
export enum DeliveryStatus {
  /** Not delivered yet: waiting for its turn or its next attempt. */
  Pending = 'pending',
  Delivered = 'delivered',
  /** Given up: retried for AOS_WEBHOOK_GIVE_UP_MS without a 2xx. */
  Failed = 'failed',
}
