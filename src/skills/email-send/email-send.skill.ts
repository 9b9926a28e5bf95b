import { Injectable } from '@nestjs/common';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import { smtpTransport } from '../../protocols/smtp';
import { MemoryType } from '../memory-type.enum';
import { CONNECTION_INPUT, ConnectedSkill, EMAIL_LIST, protocolError } from '../connected/connected-skill';
import { SkillContext, SkillError, SkillManifest, SkillResult } from '../skill';

export interface EmailSendInput {
  connection: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  subject: string;
  text?: string;
  html?: string;
  in_reply_to?: string;
}

export interface EmailSendOutput {
  message_id: string;
  accepted: string[];
  rejected: string[];
}

/**
 * The Message-ID of a run step's mail: the same for every attempt of that step, so a receiver (and
 * a reader of the record) can tell a repeat from a second mail.
 */
export function stepMessageId(runId: string, step: number, from: string): string {
  const domain = from.split('@')[1] ?? 'aos.invalid';
  return `<aos.${runId}.${step}@${domain}>`;
}

/** Sends a mail through an smtp connection (nodemailer). Not idempotent: an interrupted send is not repeated. */
@Injectable()
export class EmailSendSkill extends ConnectedSkill<EmailSendInput, EmailSendOutput> {
  readonly manifest: SkillManifest = {
    skill_id: 'email_send',
    version: '1.0.0',
    description:
      'Send an email through one of your smtp connections: to/cc/bcc, subject, text and/or html, in_reply_to (the ' +
      'Message-ID you answer). Returns the Message-ID and which recipients the server accepted.',
    capabilities: ['network_egress', 'email'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['connection', 'to', 'subject'],
      anyOf: [{ required: ['text'] }, { required: ['html'] }],
      properties: {
        connection: CONNECTION_INPUT,
        to: { ...EMAIL_LIST, minItems: 1 },
        cc: EMAIL_LIST,
        bcc: EMAIL_LIST,
        subject: { type: 'string', minLength: 1, maxLength: 998 },
        text: { type: 'string', maxLength: 200_000 },
        html: { type: 'string', maxLength: 500_000 },
        in_reply_to: { type: 'string', maxLength: 998, description: 'Message-ID of the mail this answers' },
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['message_id', 'accepted', 'rejected'],
      properties: {
        message_id: { type: 'string' },
        accepted: { type: 'array', items: { type: 'string' } },
        rejected: { type: 'array', items: { type: 'string' } },
      },
    },
    side_effects: 'non_idempotent',
    reversible: false,
    external_effects: true,
    outside_content: false,
    egress: true,
    connection_kind: ConnectionKind.Smtp,
  };

  async execute(input: EmailSendInput, context: SkillContext): Promise<SkillResult<EmailSendOutput>> {
    const connection = await context.connections.get(input.connection, ConnectionKind.Smtp);
    const { from, from_name: fromName } = connection.settings;
    const messageId = stepMessageId(context.runId, context.stepIndex, from);
    let transport;
    try {
      transport = await smtpTransport(connection, this.options);
    } catch (error) {
      throw protocolError(`connecting to ${connection.settings.host}`, error);
    }
    const abort = () => transport.close();
    context.signal.addEventListener('abort', abort, { once: true });
    try {
      const sent = await transport.sendMail({
        from: fromName ? { name: fromName, address: from } : from,
        to: input.to,
        cc: input.cc,
        bcc: input.bcc,
        subject: input.subject,
        text: input.text,
        html: input.html,
        messageId,
        inReplyTo: input.in_reply_to,
        references: input.in_reply_to,
      });
      const addresses = (list: unknown[]) =>
        list.map((a) => (typeof a === 'string' ? a : (a as { address: string }).address));
      const output = {
        message_id: sent.messageId,
        accepted: addresses(sent.accepted),
        rejected: addresses(sent.rejected),
      };
      if (output.accepted.length === 0)
        throw new SkillError(`the server accepted none of the recipients: ${output.rejected.join(', ')}`);
      return {
        output,
        memory: {
          memory_type: MemoryType.SkillResult,
          text: `Sent "${input.subject}" to ${input.to.join(', ')}`,
          meta: { message_id: sent.messageId, in_reply_to: input.in_reply_to ?? null },
        },
      };
    } catch (error) {
      throw protocolError('sending the mail', error);
    } finally {
      context.signal.removeEventListener('abort', abort);
      transport.close();
    }
  }
}
