import { Injectable } from '@nestjs/common';
import type { SearchObject } from 'imapflow';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import { withImap } from '../../protocols/imap';
import { CONNECTION_INPUT, ConnectedSkill, protocolError } from '../connected/connected-skill';
import { MESSAGE_SUMMARY_SCHEMA, MessageSummary, summary } from '../connected/mail';
import { SkillContext, SkillManifest, SkillResult } from '../skill';

export interface EmailSearchInput {
  connection: string;
  mailbox?: string;
  from?: string;
  to?: string;
  subject?: string;
  text?: string;
  since?: string;
  unseen?: boolean;
  limit?: number;
}

export interface EmailSearchOutput {
  mailbox: string;
  total: number;
  messages: MessageSummary[];
}

/** Finds messages in a mailbox of an imap connection (imapflow), newest first; reads nothing and marks nothing. */
@Injectable()
export class EmailSearchSkill extends ConnectedSkill<EmailSearchInput, EmailSearchOutput> {
  readonly manifest: SkillManifest = {
    skill_id: 'email_search',
    version: '1.0.0',
    description:
      'Search a mailbox of one of your imap connections: filters from, to, subject, text, since (a date), unseen; ' +
      'newest first, at most limit. Returns each message’s uid (for email_read), Message-ID, from, to, subject, date.',
    capabilities: ['network_egress', 'email'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['connection'],
      properties: {
        connection: CONNECTION_INPUT,
        mailbox: { type: 'string', minLength: 1, maxLength: 200, description: "Default: the connection's mailbox" },
        from: { type: 'string', maxLength: 320 },
        to: { type: 'string', maxLength: 320 },
        subject: { type: 'string', maxLength: 500 },
        text: { type: 'string', maxLength: 500, description: 'In headers or body' },
        since: { type: 'string', format: 'date', description: 'Received on or after this day (YYYY-MM-DD)' },
        unseen: { type: 'boolean' },
        limit: { type: 'integer', minimum: 1, maximum: 50, default: 10 },
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['mailbox', 'total', 'messages'],
      properties: {
        mailbox: { type: 'string' },
        total: { type: 'integer', description: 'How many messages match (more than listed when over limit)' },
        messages: { type: 'array', items: MESSAGE_SUMMARY_SCHEMA },
      },
    },
    side_effects: 'none',
    reversible: true,
    external_effects: true,
    outside_content: true,
    egress: false,
    connection_kind: ConnectionKind.Imap,
  };

  sourceOf(input: EmailSearchInput): string {
    return `mailbox ${input.mailbox ?? '(default)'} of connection ${input.connection}`;
  }

  async execute(input: EmailSearchInput, context: SkillContext): Promise<SkillResult<EmailSearchOutput>> {
    const connection = await context.connections.get(input.connection, ConnectionKind.Imap);
    const mailbox = input.mailbox ?? connection.settings.mailbox;
    const query: SearchObject = {};
    if (input.from) query.from = input.from;
    if (input.to) query.to = input.to;
    if (input.subject) query.subject = input.subject;
    if (input.text) query.text = input.text;
    if (input.since) query.since = input.since;
    if (input.unseen) query.seen = false;
    if (Object.keys(query).length === 0) query.all = true;
    try {
      const output = await withImap(
        connection,
        this.options,
        async (client) => {
          // Read-only: searching and fetching envelopes never sets \Seen.
          await client.mailboxOpen(mailbox, { readOnly: true });
          const uids = (await client.search(query, { uid: true })) || [];
          const newest = [...uids].sort((a, b) => b - a).slice(0, input.limit ?? 10);
          const messages =
            newest.length === 0
              ? []
              : await client.fetchAll(
                  newest.join(','),
                  { uid: true, envelope: true, flags: true, size: true },
                  { uid: true },
                );
          return {
            mailbox,
            total: uids.length,
            messages: messages.map(summary).sort((a, b) => b.uid - a.uid),
          };
        },
        context.signal,
      );
      return { output };
    } catch (error) {
      throw protocolError(`searching ${mailbox}`, error);
    }
  }
}
