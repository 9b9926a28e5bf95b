// A worker thread's task (piscina): runs off the service's event loop, so a hostile mail costs
// this thread's time, never a request's. Plain TypeScript only (Node strips the types when the
// tests load it from source): no decorators, enums or parameter properties, npm imports only.
import { htmlToText } from 'html-to-text';
import { type AddressObject, simpleParser } from 'mailparser';

export interface MailParseTask {
  source: Uint8Array;
  /** HTML longer than this is cut before it is converted to text. */
  maxHtmlChars: number;
}

export interface ParsedAddress {
  name: string;
  address: string;
}

/** What email_read needs of a parsed message: plain data, cheap to send back. */
export interface ParsedMessage {
  messageId: string | null;
  from: ParsedAddress[];
  to: ParsedAddress[];
  cc: ParsedAddress[];
  subject: string | null;
  /** The raw Date header line (mailparser puts the parse time in place of a date it cannot read). */
  dateLine: string | null;
  inReplyTo: string | null;
  references: string[];
  text: string;
  /** The text came from HTML that was cut at maxHtmlChars before conversion. */
  htmlCut: boolean;
  attachments: { filename: string | null; contentType: string; size: number }[];
}

const addresses = (value: AddressObject | AddressObject[] | undefined): ParsedAddress[] =>
  (value === undefined ? [] : Array.isArray(value) ? value : [value]).flatMap((o) =>
    o.value.map((a) => ({ name: a.name ?? '', address: a.address ?? '' })),
  );

/**
 * Parses one message. The HTML body is converted by this task itself, capped first and with
 * tables laid out as plain blocks: a wide table is what made the converter take seconds.
 */
export default async function parseMail(task: MailParseTask): Promise<ParsedMessage> {
  const parsed = await simpleParser(Buffer.from(task.source), {
    skipHtmlToText: true,
    skipImageLinks: true,
    skipTextToHtml: true,
  });
  let text = parsed.text ?? '';
  let htmlCut = false;
  if (!text.trim() && typeof parsed.html === 'string' && parsed.html) {
    htmlCut = parsed.html.length > task.maxHtmlChars;
    text = htmlToText(htmlCut ? parsed.html.slice(0, task.maxHtmlChars) : parsed.html, {
      wordwrap: false,
      limits: { maxDepth: 64, maxChildNodes: 2_000, ellipsis: ' …' },
      selectors: [
        { selector: 'table', format: 'block' },
        { selector: 'tr', format: 'block' },
        { selector: 'td', format: 'inlineSurround', options: { prefix: '', suffix: ' ' } },
        { selector: 'th', format: 'inlineSurround', options: { prefix: '', suffix: ' ' } },
        { selector: 'img', format: 'skip' },
        { selector: 'a', options: { ignoreHref: true } },
      ],
    });
  }
  const references = parsed.references === undefined ? [] : [parsed.references].flat();
  return {
    messageId: parsed.messageId ?? null,
    from: addresses(parsed.from),
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: parsed.subject ?? null,
    dateLine: parsed.headerLines.find((h) => h.key === 'date')?.line ?? null,
    inReplyTo: parsed.inReplyTo ?? null,
    references,
    text,
    htmlCut,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? null,
      contentType: a.contentType,
      size: a.size,
    })),
  };
}
