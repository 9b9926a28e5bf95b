import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/common/free-port';
import { ServerProcess } from './server-process';

/** RADICALE_BIN, else Debian's /usr/bin/radicale, else the PATH's. */
function radicaleBinary(): string {
  if (process.env.RADICALE_BIN) return process.env.RADICALE_BIN;
  return existsSync('/usr/bin/radicale') ? '/usr/bin/radicale' : 'radicale';
}

/** The text of every `<href>` element (any namespace prefix) of a WebDAV multistatus body. */
function hrefsOf(xml: string): string[] {
  const hrefs: string[] = [];
  for (const match of xml.matchAll(/<(?:[\w-]+:)?href>([^<]*)<\/(?:[\w-]+:)?href>/g)) hrefs.push(match[1].trim());
  return hrefs;
}

/**
 * The UIDs of the VEVENTs of one iCalendar object, each once (an object's recurrence overrides
 * share their master's UID). Only a UID directly inside a VEVENT counts: a VALARM may carry its
 * own UID (RFC 9074) and must not look like a second event.
 */
function eventUidsOf(ics: string): string[] {
  const lines = ics.replace(/\r?\n[ \t]/g, '').split(/\r?\n/); // unfold (RFC 5545 §3.1)
  const stack: string[] = [];
  const uids = new Set<string>();
  for (const line of lines) {
    const upper = line.toUpperCase();
    if (upper.startsWith('BEGIN:')) stack.push(upper.slice(6).trim());
    else if (upper.startsWith('END:')) stack.pop();
    else if (stack.at(-1) === 'VEVENT' && /^UID[:;]/.test(upper)) uids.add(line.slice(line.indexOf(':') + 1).trim());
  }
  return [...uids];
}

/**
 * A real Radicale CalDAV server (Debian package `radicale`) on a free port, with htpasswd
 * (plain) auth for one fixed user and owner-only rights, storing into a temporary folder. It is
 * never skipped: a missing binary fails the test.
 */
export class RadicaleTestServer {
  readonly user = 'alice';
  readonly password = 'radicale-Secret-0b8d55';
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'aos-radicale-'));
  port = 0;

  /** The server's root, which tsdav takes as `serverUrl` (it discovers the principal from there). */
  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  /** Basic auth for the fixed user, for the helper requests below. */
  private get authorization(): string {
    return `Basic ${Buffer.from(`${this.user}:${this.password}`).toString('base64')}`;
  }

  async start(): Promise<this> {
    this.port ||= await findFreePort();
    const config = join(this.dir, 'config');
    const htpasswd = join(this.dir, 'users');
    const storage = join(this.dir, 'collections');
    mkdirSync(storage, { recursive: true });
    writeFileSync(htpasswd, `${this.user}:${this.password}\n`);
    // Radicale's default auth denies everyone, so every key below is needed for a usable server.
    writeFileSync(
      config,
      [
        '[server]',
        `hosts = 127.0.0.1:${this.port}`,
        '[auth]',
        'type = htpasswd',
        `htpasswd_filename = ${htpasswd}`,
        'htpasswd_encryption = plain',
        // A wrong password is answered after ~1 s by default (against brute force); tests want it now.
        'delay = 0',
        '[rights]',
        'type = owner_only',
        '[storage]',
        `filesystem_folder = ${storage}`,
        '[logging]',
        'level = warning',
        '',
      ].join('\n'),
    );

    const server = new ServerProcess('radicale', radicaleBinary(), ['--config', config]);
    this.child = server.child;
    try {
      // Radicale prints nothing reliable when it is ready (logging is quiet), so ask it over HTTP:
      // any answer, even 401, means it serves requests.
      await server.waitReady(async () => {
        const response = await fetch(this.url, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
      });
    } catch (error) {
      await this.stop();
      throw error;
    }
    return this;
  }

  /** Creates the calendar `<name>` in the user's home collection; returns its URL (with a trailing slash). */
  async createCalendar(name: string): Promise<string> {
    const calendarUrl = `${this.url}${encodeURIComponent(this.user)}/${encodeURIComponent(name)}/`;
    const response = await fetch(calendarUrl, {
      method: 'MKCALENDAR',
      headers: { Authorization: this.authorization, 'Content-Type': 'application/xml; charset=utf-8' },
      body:
        '<?xml version="1.0" encoding="utf-8"?>' +
        '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>' +
        `<D:displayname>${name.replace(/[<&>]/g, (c) => `&#${c.charCodeAt(0)};`)}</D:displayname>` +
        '<C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>' +
        '</D:prop></D:set></C:mkcalendar>',
    });
    if (response.status !== 201) {
      throw new Error(`MKCALENDAR ${calendarUrl} answered ${response.status}: ${await response.text()}`);
    }
    return calendarUrl;
  }

  /**
   * The UID of every VEVENT the server stores in a calendar, one entry per stored object and UID:
   * an event stored twice (two resources) appears twice. Read over plain HTTP (PROPFIND, then GET
   * of each .ics), independent of the CalDAV client under test.
   */
  async listEventUids(calendarUrl: string): Promise<string[]> {
    const listing = await fetch(calendarUrl, {
      method: 'PROPFIND',
      headers: { Authorization: this.authorization, Depth: '1', 'Content-Type': 'application/xml; charset=utf-8' },
      body: '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>',
    });
    if (listing.status !== 207) {
      throw new Error(`PROPFIND ${calendarUrl} answered ${listing.status}: ${await listing.text()}`);
    }
    const collectionPath = new URL(calendarUrl).pathname;
    const objectUrls = hrefsOf(await listing.text())
      .map((href) => new URL(href, calendarUrl))
      .filter((url) => url.pathname !== collectionPath && url.pathname.endsWith('.ics'));

    const uids: string[] = [];
    for (const url of objectUrls) {
      const response = await fetch(url, { headers: { Authorization: this.authorization } });
      if (response.status !== 200) throw new Error(`GET ${url.href} answered ${response.status}`);
      uids.push(...eventUidsOf(await response.text()));
    }
    return uids;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    // No pid: the spawn itself failed, there is nothing to end.
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
