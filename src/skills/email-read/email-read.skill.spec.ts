import parseMail from './mail-parse.worker';
import { headerDate } from './email-read.skill';

const message = (date: string | null, body = 'body', type = 'text/plain') =>
  Buffer.from(
    [
      ...(date === null ? [] : [`Date: ${date}`]),
      'From: Dana <dana@example.com>',
      'Subject: hi',
      `Content-Type: ${type}; charset=utf-8`,
      '',
      body,
      '',
    ].join('\r\n'),
  );

const parse = (source: Buffer, maxHtmlChars = 256 * 1024) => parseMail({ source, maxHtmlChars });

describe('a read message', () => {
  it('has its Date header as ISO 8601 when readable, also folded over two lines', async () => {
    expect(headerDate((await parse(message('Wed, 25 Nov 2026 09:00:00 +0000'))).dateLine)).toBe(
      '2026-11-25T09:00:00.000Z',
    );
    expect(headerDate((await parse(message('Wed, 25 Nov 2026\r\n 09:00:00 +0000'))).dateLine)).toBe(
      '2026-11-25T09:00:00.000Z',
    );
  });

  it('has a null date when it is unreadable or missing, not the time of reading that mailparser puts there', async () => {
    expect(headerDate((await parse(message('sometime soon'))).dateLine)).toBeNull();
    expect(headerDate((await parse(message(null))).dateLine)).toBeNull();
  });

  it('is plain data: addresses, text, no attachment content', async () => {
    const parsed = await parse(message(null, 'hello there'));
    expect(parsed.from).toEqual([{ name: 'Dana', address: 'dana@example.com' }]);
    expect(parsed.text.trim()).toBe('hello there');
    expect(parsed.htmlCut).toBe(false);
  });

  it('converts a wide HTML table quickly (as plain blocks) and cuts long HTML before converting it', async () => {
    const row = `<tr>${'<td>cell</td>'.repeat(1_000)}</tr>`;
    const html = `<html><body><table>${row.repeat(160)}</table></body></html>`;
    expect(html.length).toBeGreaterThan(2_000_000);
    const started = performance.now();
    const parsed = await parse(message(null, html, 'text/html'), 256 * 1024);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(parsed.htmlCut).toBe(true);
    expect(parsed.text).toMatch(/^cell cell cell/);
  });
});
