import { storable } from '../../common/storable';
import { Inject, Injectable } from '@nestjs/common';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import { withImap } from '../../protocols/imap';
import { MemoryType } from '../memory-type.enum';
import { CONNECTION_INPUT, ConnectedSkill, protocolError } from '../connected/connected-skill';
import { addressText, mailDate, optionalMailText } from '../connected/mail';
import { SkillContext, SkillError, SkillManifest, SkillResult } from '../skill';
import { MailParsing } from './mail-parsing';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';

/** Most of a message AOS downloads; what is past it (big attachments) is not read. */
const MAX_SOURCE_BYTES = 2 * 1024 * 1024;
/** Longest body text in the output and the memory. */
const MAX_TEXT = 16 * 1024;

export interface EmailReadInput {
  connection: string;
  mailbox?: string;
  uid: number;
}

export interface EmailReadOutput {
  uid: number;
  message_id: string | null;
  from: string[];
  to: string[];
  cc: string[];
  subject: string | null;
  date: string | null;
  in_reply_to: string | null;
  references: string[];
  text: string;
  text_truncated: boolean;
  attachments: { filename: string | null; content_type: string; size: number }[];
}

/**
 * The Date header as ISO 8601, or null: mailparser puts the time of parsing in place of a date it
 * cannot read, which would tell the model the mail arrived just now.
 */
export function headerDate(line: string | null): string | null {
  // The raw line: its name, then the value, possibly folded over several lines.
  return line === null
    ? null
    : mailDate(
        line
          .replace(/^[^:]*:/, '')
          .replace(/\s+/g, ' ')
          .trim(),
      );
}

/**
 * Reads one message of an imap connection (imapflow, parsed with mailparser): headers, the text
 * body (capped) and what is attached, without the attachments themselves. The mailbox is opened
 * read-only, so reading does not mark the message seen. The body becomes a memory of the agent.
 */
@Injectable()
export class EmailReadSkill extends ConnectedSkill<EmailReadInput, EmailReadOutput> {
  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    private readonly parsing: MailParsing,
  ) {
    super(config);
  }

  readonly manifest: SkillManifest = {
    skill_id: 'email_read',
    version: '1.0.0',
    description:
      'Read one message (by the uid email_search gave) of one of your imap connections: from, to, cc, subject, ' +
      'date, Message-ID, In-Reply-To, the text body (up to 16 KB) and the attachments’ names, types and sizes.',
    capabilities: ['network_egress', 'email'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['connection', 'uid'],
      properties: {
        connection: CONNECTION_INPUT,
        mailbox: { type: 'string', minLength: 1, maxLength: 200, description: "Default: the connection's mailbox" },
        uid: { type: 'integer', minimum: 1 },
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: [
        'uid',
        'message_id',
        'from',
        'to',
        'cc',
        'subject',
        'date',
        'in_reply_to',
        'references',
        'text',
        'text_truncated',
        'attachments',
      ],
      properties: {
        uid: { type: 'integer' },
        message_id: { type: ['string', 'null'] },
        from: { type: 'array', items: { type: 'string' } },
        to: { type: 'array', items: { type: 'string' } },
        cc: { type: 'array', items: { type: 'string' } },
        subject: { type: ['string', 'null'] },
        date: { type: ['string', 'null'] },
        in_reply_to: { type: ['string', 'null'] },
        references: { type: 'array', items: { type: 'string' } },
        text: { type: 'string' },
        text_truncated: { type: 'boolean' },
        attachments: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['filename', 'content_type', 'size'],
            properties: {
              filename: { type: ['string', 'null'] },
              content_type: { type: 'string' },
              size: { type: 'integer' },
            },
          },
        },
      },
    },
    side_effects: 'none',
    reversible: true,
    external_effects: true,
    outside_content: true,
    egress: false,
    connection_kind: ConnectionKind.Imap,
  };

  sourceOf(input: EmailReadInput): string {
    return `mail ${input.uid} in ${input.mailbox ?? 'the mailbox'} of connection ${input.connection}`;
  }

  async execute(input: EmailReadInput, context: SkillContext): Promise<SkillResult<EmailReadOutput>> {
    const connection = await context.connections.get(input.connection, ConnectionKind.Imap);
    const mailbox = input.mailbox ?? connection.settings.mailbox;
    let source: Buffer;
    try {
      source = await withImap(
        connection,
        this.options,
        async (client) => {
          await client.mailboxOpen(mailbox, { readOnly: true });
          const found = await client.fetchOne(
            String(input.uid),
            { uid: true, source: { maxLength: MAX_SOURCE_BYTES } },
            { uid: true },
          );
          if (!found || !found.source) throw new SkillError(`no message with uid ${input.uid} in ${mailbox}`);
          return found.source;
        },
        context.signal,
      );
    } catch (error) {
      throw protocolError(`reading message ${input.uid} of ${mailbox}`, error);
    }
    const parsed = await this.parsing.parse(source, context.signal);
    const body = storable(parsed.text);
    const truncated = body.length > MAX_TEXT || parsed.htmlCut;
    const text =
      body.length > MAX_TEXT
        ? body.slice(0, /[\uD800-\uDBFF]/.test(body[MAX_TEXT - 1]) ? MAX_TEXT - 1 : MAX_TEXT)
        : body;
    const output: EmailReadOutput = {
      uid: input.uid,
      message_id: optionalMailText(parsed.messageId),
      from: parsed.from.map(addressText),
      to: parsed.to.map(addressText),
      cc: parsed.cc.map(addressText),
      subject: optionalMailText(parsed.subject),
      date: headerDate(parsed.dateLine),
      in_reply_to: optionalMailText(parsed.inReplyTo),
      references: parsed.references.map(storable),
      text,
      text_truncated: truncated,
      attachments: parsed.attachments.map((a) => ({
        filename: optionalMailText(a.filename),
        content_type: storable(a.contentType),
        size: a.size,
      })),
    };
    return {
      output,
      memory: {
        memory_type: MemoryType.SkillResult,
        text: `Mail from ${output.from.join(', ')}: ${output.subject ?? '(no subject)'}\n\n${text}`,
        meta: { message_id: output.message_id, mailbox, uid: input.uid, date: output.date },
      },
    };
  }
}
