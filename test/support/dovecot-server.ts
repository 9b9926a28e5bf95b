import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { findFreePort } from '../../src/common/free-port';
import { ServerProcess } from './server-process';

/** DOVECOT_BIN, else Debian's /usr/sbin/dovecot (not on a user's PATH), else the PATH's. */
function dovecotBinary(): string {
  if (process.env.DOVECOT_BIN) return process.env.DOVECOT_BIN;
  return existsSync('/usr/sbin/dovecot') ? '/usr/sbin/dovecot' : 'dovecot';
}

/** The numeric id of a name in /etc/passwd or /etc/group (chown takes numbers, the config names). */
function idOf(file: '/etc/passwd' | '/etc/group', name: string): number {
  const line = readFileSync(file, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`${name} is not in ${file}`);
  return Number(line.split(':')[2]);
}

/**
 * Resolves with the server's first line once something on host:port accepts a connection and
 * greets; rejects when the connection is refused or nothing arrives in time.
 */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let text = '';
    socket.setTimeout(2_000, () => socket.destroy(new Error('no greeting')));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('\n')) {
        socket.end('a LOGOUT\r\n');
        resolve(text.split('\r\n')[0]);
      }
    });
    socket.once('error', reject);
    // Closed before a whole line arrived (a no-op when resolved already).
    socket.once('close', () => reject(new Error(`closed before the greeting: ${text}`)));
  });
}

/**
 * A real Dovecot IMAP server (Debian package `dovecot-imapd`) on a free port, run in the
 * foreground from a configuration in a temporary folder, with one fixed user whose Maildir lives
 * there too. Started as root (the tests are), it delivers mail as `nobody`. It is never skipped:
 * a missing binary fails the test.
 */
export class DovecotTestServer {
  readonly user = 'user';
  readonly password = 'dovecot-Secret-7c41e9';
  readonly host = '127.0.0.1';
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'aos-dovecot-'));
  port = 0;

  private get logFile(): string {
    return join(this.dir, 'dovecot.log');
  }

  async start(): Promise<this> {
    this.port ||= await findFreePort();
    // mkdtemp makes the folder 700: the mail processes (nobody) and the login processes
    // (dovenull) must traverse it.
    chmodSync(this.dir, 0o755);
    const passwd = join(this.dir, 'passwd');
    const config = join(this.dir, 'dovecot.conf');
    const home = join(this.dir, 'home', this.user);
    mkdirSync(home, { recursive: true });
    // The userdb runs the user as nobody:nogroup, who must own the home to create the Maildir.
    chownSync(home, idOf('/etc/passwd', 'nobody'), idOf('/etc/group', 'nogroup'));
    writeFileSync(passwd, `${this.user}:{PLAIN}${this.password}\n`);
    writeFileSync(
      config,
      `# Everything Dovecot writes stays in ${this.dir}; nothing from /etc/dovecot is read.
base_dir = ${join(this.dir, 'run')}
state_dir = ${join(this.dir, 'state')}
log_path = ${this.logFile}
listen = ${this.host}
protocols = imap
ssl = no
disable_plaintext_auth = no
# Against brute force, a failed login is answered after 2 s and every later login from the same
# IP waits more (up to 15 s); a test that checks a wrong password must not slow the next ones.
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${passwd}
}
userdb {
  driver = static
  args = uid=nobody gid=nogroup home=${join(this.dir, 'home')}/%u
}
# The default chroots (to the login folder under base_dir) do not work in a temp folder.
service imap-login {
  chroot =
  inet_listener imap {
    address = ${this.host}
    port = ${this.port}
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
`,
    );

    // Its own process group, so that stop() can end the master and every process it forked.
    const server = new ServerProcess('dovecot', dovecotBinary(), ['-F', '-c', config], { detached: true });
    this.child = server.child;
    try {
      // The master binds the port before the login process is ready to greet: wait for the greeting.
      await server.waitReady(async () => {
        const line = await greeting(this.host, this.port);
        if (!line.startsWith('* OK')) throw new Error(`unexpected greeting: ${line}`);
      });
    } catch (error) {
      await this.stop();
      // Errors about config, permissions and auth land in Dovecot's own log, not on stderr.
      throw new Error(`${(error as Error).message}${this.log()}`, { cause: error });
    }
    return this;
  }

  /** Dovecot's own log (errors about config, permissions and auth land there, not on stderr). */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /**
   * Puts a raw RFC 5322 message into one of the user's mailboxes (created when missing) by IMAP
   * APPEND, so that Dovecot itself writes the Maildir files and indexes. Line ends become CRLF.
   */
  async deliver(raw: string, mailbox = 'INBOX'): Promise<void> {
    const client = new ImapFlow({
      host: this.host,
      port: this.port,
      secure: false,
      auth: { user: this.user, pass: this.password },
      logger: false,
    });
    await client.connect();
    try {
      if (mailbox.toUpperCase() !== 'INBOX' && !(await client.list()).some((m) => m.path === mailbox)) {
        await client.mailboxCreate(mailbox);
      }
      const appended = await client.append(mailbox, raw.replace(/\r?\n/g, '\r\n'));
      if (!appended) throw new Error(`APPEND to ${mailbox} failed`);
    } finally {
      await client.logout();
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    // No pid: the spawn itself failed, there is nothing to end.
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const pid = child.pid;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    // SIGTERM to the master: it ends its children (login, auth, imap) and then itself.
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 5_000))),
    ]);
    clearTimeout(timer);
    // Whatever is left of the group (a stuck child, or the master itself after 5 s) is killed.
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // ESRCH: the whole group is already gone.
    }
    if (timedOut) await exited;
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
