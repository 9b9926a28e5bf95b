import { simpleParser } from 'mailparser';
import { headerDate } from './email-read.skill';

const message = (date: string | null) =>
  Buffer.from(
    [...(date === null ? [] : [`Date: ${date}`]), 'From: dana@example.com', 'Subject: hi', '', 'body', ''].join('\r\n'),
  );

describe('the Date header of a read message', () => {
  it('is ISO 8601 when readable, also folded over two lines', async () => {
    expect(headerDate(await simpleParser(message('Wed, 25 Nov 2026 09:00:00 +0000')))).toBe('2026-11-25T09:00:00.000Z');
    expect(headerDate(await simpleParser(message('Wed, 25 Nov 2026\r\n 09:00:00 +0000')))).toBe(
      '2026-11-25T09:00:00.000Z',
    );
  });

  it('is null when unreadable or missing, not the time of reading that mailparser puts in its place', async () => {
    const parsed = await simpleParser(message('sometime soon'));
    expect(parsed.date).toBeInstanceOf(Date);
    expect(headerDate(parsed)).toBeNull();
    expect(headerDate(await simpleParser(message(null)))).toBeNull();
  });
});
