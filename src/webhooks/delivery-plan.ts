import { matchesType } from '../events/event-types';
import type { DeliveryRow } from './webhooks.repository';

/** What the fan-out needs of an event and of a webhook. */
export interface FanOutEvent {
  id: number;
  agent_id: string;
  type: string;
}
export interface FanOutWebhook {
  tenantId: string;
  id: string;
  agentId: string;
  events: string[] | null;
}

/** The deliveries a batch of events makes: one per (event, enabled webhook of its agent whose filter matches). */
export function planDeliveries(events: readonly FanOutEvent[], webhooks: readonly FanOutWebhook[]): DeliveryRow[] {
  const byAgent = new Map<string, FanOutWebhook[]>();
  for (const w of webhooks) byAgent.set(w.agentId, [...(byAgent.get(w.agentId) ?? []), w]);
  const rows: DeliveryRow[] = [];
  for (const event of events) {
    for (const w of byAgent.get(event.agent_id) ?? []) {
      if (matchesType(event.type, w.events))
        rows.push({ tenantId: w.tenantId, webhookId: w.id, eventId: event.id, eventType: event.type });
    }
  }
  return rows;
}
