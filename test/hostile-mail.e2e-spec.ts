import { DovecotTestServer } from './support/dovecot-server';
import { FakeModelServer } from './support/fake-models';
import { eventually } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

/** A 2 MB single-line HTML table of 1,000 columns: mailparser's own conversion takes tens of seconds on it. */
function hostileMail(): string {
  const row = `<tr>${'<td>cell</td>'.repeat(1_000)}</tr>`;
  return [
    'From: Mallory <mallory@example.com>',
    'To: user@example.com',
    'Subject: A very wide table',
    'Message-ID: <wide@example.com>',
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><table>${row.repeat(150)}</table></body></html>`,
    '',
  ].join('\r\n');
}

type Run = { status: string; tool_calls: { skill_id: string; status: string; output: any; error: string | null }[] };

/**
 * Outside content that costs CPU to read is read off the event loop: while a hostile mail is
 * parsed, the instance keeps answering; a parse past its deadline ends in an error the model reads.
 */
describe('a hostile mail', () => {
  let imap: DovecotTestServer;
  let model: FakeModelServer;

  beforeAll(async () => {
    imap = new DovecotTestServer();
    model = new FakeModelServer('anthropic');
    await Promise.all([imap.start(), model.start()]);
    await imap.deliver(hostileMail());
  });
  afterAll(async () => {
    await Promise.all([imap?.destroy(), model?.stop()]);
  });

  async function readIt(t: TestApp): Promise<Run> {
    const a = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'reader', planner: 'llm' } })).json()
      .id as string;
    await t.request({
      method: 'POST',
      url: `/agents/${a}/connections`,
      payload: {
        name: 'inbox',
        kind: 'imap',
        settings: { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user },
        secret: imap.password,
      },
    });
    model.script([{ tools: [{ name: 'email_read', input: { connection: 'inbox', uid: 1 } }] }, { text: 'Read.' }]);
    const r = (await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: 'Read mail 1' } })).json()
      .run_id as string;
    return eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${a}/runs/${r}` })).json<Run>(),
      (x) => !['pending', 'running'].includes(x.status),
      60_000,
    );
  }

  const env = () => ({
    HOST: '127.0.0.1',
    PORT: '0',
    ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
    ANTHROPIC_BASE_URL: model.baseUrl,
    AOS_CONNECTION_ALLOW_HOSTS: `127.0.0.1:${imap.port}`,
    AOS_WORKER_POLL_MS: '100',
  });

  it('is read while /health/live keeps answering, and ends in a cut text', async () => {
    const t = await startTestApp(env());
    try {
      const url = await t.server.listen();
      let slowest = 0;
      let polling = true;
      const poller = (async () => {
        while (polling) {
          const started = performance.now();
          const res = await fetch(`${url}/health/live`);
          expect(res.status).toBe(200);
          slowest = Math.max(slowest, performance.now() - started);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();
      const run = await readIt(t);
      polling = false;
      await poller;
      expect(run.status).toBe('completed');
      const read = run.tool_calls.find((c) => c.skill_id === 'email_read')!;
      expect(read.status).toBe('succeeded');
      expect(read.output.text_truncated).toBe(true);
      expect(read.output.text).toMatch(/^cell cell cell/);
      // A generous bound for a noisy 2-core machine; on the event loop this was seconds.
      expect(slowest).toBeLessThan(2_000);
    } finally {
      await t.close();
    }
  });

  it('past AOS_PARSE_TIMEOUT_MS ends the read in a clear error the model reads', async () => {
    const t = await startTestApp({ ...env(), AOS_PARSE_TIMEOUT_MS: '100' });
    try {
      const run = await readIt(t);
      expect(run.status).toBe('completed');
      const read = run.tool_calls.find((c) => c.skill_id === 'email_read')!;
      expect(read.status).toBe('failed');
      expect(read.error).toMatch(/could not be converted to text within 100 ms \(AOS_PARSE_TIMEOUT_MS\)/);
    } finally {
      await t.close();
    }
  });
});
