import type { FetchMessageObject, MessageAddressObject } from 'imapflow';
import { storable } from '../../common/storable';

// Mail headers decode to anything (`=?UTF-8?Q?a=00b?=` is "a\u0000b"): every string that leaves
// the mail skills goes through storable(), or one such subject would fail the step's record.

export function optionalMailText(text: string | null | undefined): string | null {
  return typeof text === 'string' ? storable(text) : null;
}

/**
 * A Date header as ISO 8601, or null when it is missing or does not parse: imapflow hands an
 * unparseable one on as the raw string, and a bad date must not fail the whole listing.
 */
export function mailDate(value: Date | string | false | null | undefined): string | null {
  if (!value) return null;
  const date = typeof value === 'string' ? new Date(value) : value;
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** An address as the model reads it: `Name <addr>` or the bare address. */
export function addressText(a: { name?: string; address?: string }): string {
  return storable(a.name ? `${a.name} <${a.address ?? ''}>` : (a.address ?? ''));
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
    message_id: optionalMailText(e?.messageId),
    from: addresses(e?.from),
    to: addresses(e?.to),
    subject: optionalMailText(e?.subject),
    date: mailDate(e?.date),
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
    date: { type: ['string', 'null'], description: 'ISO 8601; null when the Date header is missing or unreadable' },
    seen: { type: 'boolean' },
    size: { type: ['integer', 'null'] },
  },
} as const;
