import type { FetchMessageObject, MessageAddressObject } from 'imapflow';

/** An address as the model reads it: `Name <addr>` or the bare address. */
export function addressText(a: MessageAddressObject): string {
  return a.name ? `${a.name} <${a.address ?? ''}>` : (a.address ?? '');
}

export function addresses(list: MessageAddressObject[] | undefined): string[] {
  return (list ?? []).map(addressText);
}

/** One message of a search: what an envelope says, without the body. */
export interface MessageSummary {
  uid: number;
  message_id: string | null;
  from: string[];
  to: string[];
  subject: string | null;
  date: string | null;
  seen: boolean;
  size: number | null;
}

export function summary(m: FetchMessageObject): MessageSummary {
  const e = m.envelope;
  return {
    uid: m.uid,
    message_id: e?.messageId ?? null,
    from: addresses(e?.from),
    to: addresses(e?.to),
    subject: e?.subject ?? null,
    date: e?.date ? new Date(e.date).toISOString() : null,
    seen: m.flags?.has('\\Seen') ?? false,
    size: m.size ?? null,
  };
}

export const MESSAGE_SUMMARY_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['uid', 'message_id', 'from', 'to', 'subject', 'date', 'seen', 'size'],
  properties: {
    uid: { type: 'integer' },
    message_id: { type: ['string', 'null'] },
    from: { type: 'array', items: { type: 'string' } },
    to: { type: 'array', items: { type: 'string' } },
    subject: { type: ['string', 'null'] },
    date: { type: ['string', 'null'] },
    seen: { type: 'boolean' },
    size: { type: ['integer', 'null'] },
  },
} as const;
