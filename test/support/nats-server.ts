import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../../src/common/free-port';
import { ServerProcess } from './server-process';

/** NATS_SERVER_BIN, else Debian's /usr/sbin/nats-server (not on a user's PATH), else the PATH's. */
function natsServerBinary(): string {
  if (process.env.NATS_SERVER_BIN) return process.env.NATS_SERVER_BIN;
  return existsSync('/usr/sbin/nats-server') ? '/usr/sbin/nats-server' : 'nats-server';
}

/**
 * A real nats-server (Debian package `nats-server`, installed by .ci/run when missing) with
 * JetStream, on a free port and a temporary store, that a test can stop and start again on the
 * same port and store. It is never skipped: a missing binary fails the test.
 */
export class NatsTestServer {
  private child: ChildProcess | undefined;
  private readonly dir = mkdtempSync(join(tmpdir(), 'aos-nats-'));
  port = 0;

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    this.port ||= await findFreePort();
    const server = new ServerProcess('nats-server', natsServerBinary(), [
      '-a',
      '127.0.0.1',
      '-p',
      String(this.port),
      '-js',
      '-sd',
      this.dir,
    ]);
    this.child = server.child;
    await server.waitReady(async () => {
      if (!server.output.includes('Server is ready')) throw new Error('not ready yet');
    });
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  }

  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
