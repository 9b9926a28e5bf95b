import { ImapFlow } from 'imapflow';
import { createTransport } from 'nodemailer';
import { createDAVClient } from 'tsdav';
import { DovecotTestServer } from './support/dovecot-server';
import { RadicaleTestServer } from './support/radicale-server';
import { headers, messageIdOf, SmtpTestServer } from './support/smtp-test-server';

// The test-support servers themselves, each proven with the client library the app uses against it.
// Each is assigned before start(), so that afterAll also cleans up after a failed start.

describe('RadicaleTestServer (CalDAV) with tsdav', () => {
  let radicale: RadicaleTestServer;

  beforeAll(async () => {
    radicale = new RadicaleTestServer();
    await radicale.start();
  });
  afterAll(async () => {
    await radicale.destroy();
  });

  it('refuses a wrong password', async () => {
    const response = await fetch(`${radicale.url}${radicale.user}/`, {
      method: 'PROPFIND',
      headers: { Authorization: `Basic ${Buffer.from(`${radicale.user}:wrong`).toString('base64')}`, Depth: '0' },
    });
    expect(response.status).toBe(401);
  });

  it('stores an event that tsdav creates, exactly once, and tsdav reads it back', async () => {
    const calendarUrl = await radicale.createCalendar('work');
    expect(calendarUrl).toBe(`${radicale.url}${radicale.user}/work/`);
    expect(await radicale.listEventUids(calendarUrl)).toEqual([]);

    const client = await createDAVClient({
      serverUrl: radicale.url,
      credentials: { username: radicale.user, password: radicale.password },
      authMethod: 'Basic',
      defaultAccountType: 'caldav',
    });
    const calendars = await client.fetchCalendars();
    const calendar = calendars.find((c) => new URL(c.url, radicale.url).href === calendarUrl);
    expect(calendar).toBeDefined();

    const uid = `e2e-${Date.now()}@aos.test`;
    const iCalString = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//AOS//test-servers e2e//EN',
      'BEGIN:VEVENT',
      `UID:${uid}`,
      'DTSTAMP:20250101T090000Z',
      'DTSTART:20250102T100000Z',
      'DTEND:20250102T110000Z',
      'SUMMARY:Planning',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');
    const created = await client.createCalendarObject({ calendar: calendar!, filename: 'planning.ics', iCalString });
    expect(created.status).toBe(201);

    expect(await radicale.listEventUids(calendarUrl)).toEqual([uid]);
    const objects = await client.fetchCalendarObjects({ calendar: calendar! });
    expect(objects).toHaveLength(1);
    expect(objects[0].data).toContain(`UID:${uid}`);
    expect(objects[0].data).toContain('SUMMARY:Planning');
  });
});

describe('DovecotTestServer (IMAP) with imapflow', () => {
  let dovecot: DovecotTestServer;
  let client: ImapFlow | undefined;

  beforeAll(async () => {
    dovecot = new DovecotTestServer();
    await dovecot.start();
  });
  afterAll(async () => {
    await client?.logout().catch(() => undefined);
    await dovecot.destroy();
  });

  const imap = (pass: string) =>
    new ImapFlow({
      host: dovecot.host,
      port: dovecot.port,
      secure: false,
      auth: { user: dovecot.user, pass },
      logger: false,
    });

  it('refuses a wrong password', async () => {
    const wrong = imap('wrong');
    await expect(wrong.connect()).rejects.toThrow();
    wrong.close();
  });

  it('serves a delivered message to imapflow, in the mailbox it was delivered to', async () => {
    const raw = [
      'From: Sender <sender@aos.test>',
      'To: User <user@aos.test>',
      'Subject: Quarterly numbers',
      'Message-ID: <imap-e2e-1@aos.test>',
      'Date: Thu, 02 Jan 2025 10:00:00 +0000',
      '',
      'The numbers are in.',
      '',
    ].join('\n');
    await dovecot.deliver(raw);
    await dovecot.deliver(raw.replace('Quarterly numbers', 'Filed away'), 'Archive');

    client = imap(dovecot.password);
    await client.connect();
    const lock = await client.getMailboxLock('INBOX');
    try {
      const uids = await client.search({ subject: 'Quarterly numbers' }, { uid: true });
      if (!uids || uids.length !== 1) throw new Error(`expected one message, found ${JSON.stringify(uids)}`);
      const message = await client.fetchOne(String(uids[0]), { envelope: true, source: true }, { uid: true });
      if (!message) throw new Error(`UID ${uids[0]} could not be fetched`);
      expect(message.envelope?.subject).toBe('Quarterly numbers');
      expect(message.envelope?.messageId).toBe('<imap-e2e-1@aos.test>');
      // Dovecot stores what deliver() sent: the body, its LF line ends turned into CRLF.
      expect(message.source?.toString()).toContain('\r\n\r\nThe numbers are in.\r\n');
      expect(await client.search({ subject: 'Filed away' }, { uid: true })).toEqual([]);
    } finally {
      lock.release();
    }
    const archive = await client.status('Archive', { messages: true });
    expect(archive).toMatchObject({ path: 'Archive', messages: 1 });
  });
});

describe('SmtpTestServer with nodemailer', () => {
  let smtp: SmtpTestServer;

  beforeAll(async () => {
    smtp = new SmtpTestServer();
    await smtp.start();
  });
  afterAll(async () => {
    await smtp.stop();
  });

  const transport = (pass: string) =>
    createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: false,
      ignoreTLS: true,
      auth: { user: smtp.user, pass },
    });

  it('refuses a wrong password and keeps nothing', async () => {
    await expect(
      transport('wrong').sendMail({ from: 'a@aos.test', to: 'b@aos.test', subject: 'nope', text: 'nope' }),
    ).rejects.toMatchObject({ code: 'EAUTH' });
    expect(smtp.received).toEqual([]);
  });

  it('receives what nodemailer sends, with its envelope and the given Message-ID', async () => {
    const info = await transport(smtp.password).sendMail({
      from: 'Agent <agent@aos.test>',
      to: ['one@aos.test', 'two@aos.test'],
      subject: 'Status report',
      text: 'All green.',
      messageId: '<smtp-e2e-1@aos.test>',
    });
    expect(info.accepted).toEqual(['one@aos.test', 'two@aos.test']);

    expect(smtp.received).toHaveLength(1);
    const [mail] = smtp.received;
    expect(mail.from).toBe('agent@aos.test');
    expect(mail.to).toEqual(['one@aos.test', 'two@aos.test']);
    expect(messageIdOf(mail.raw)).toBe('smtp-e2e-1@aos.test');
    expect(headers(mail.raw).subject).toEqual(['Status report']);
    expect(mail.raw).toContain('All green.');
  });
});
