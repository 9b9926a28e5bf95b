/**
 * A hostile mail: a 2 MB single-line HTML table of 1,000 columns, read by an agent through IMAP
 * (Dovecot). Reports the worst event-loop delay of the service while it reads it — from
 * `nodejs_eventloop_lag_max_seconds` (perf_hooks.monitorEventLoopDelay, reset at each scrape) —
 * and the worst /health/live answer meanwhile, beside the same mail parsed on an event loop the
 * way mailparser does by default (the reference: what the service did before).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { simpleParser } from 'mailparser';
import type { DovecotTestServer } from '../test/support/dovecot-server';
import { api, sleep } from './support';

export const MAIL_MODEL = 'bench-mail';

export function hostileMail(): string {
  const row = `<tr>${'<td>cell</td>'.repeat(1_000)}</tr>`;
  return [
    'From: Mallory <mallory@example.com>',
    'To: user@example.com',
    'Subject: A very wide table',
    'Date: Wed, 25 Nov 2026 09:00:00 +0000',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<html><body><table>${row.repeat(150)}</table></body></html>`,
    '',
  ].join('\r\n');
}

async function lagMaxSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^nodejs_eventloop_lag_max_seconds (\S+)$/m.exec(text)?.[1] ?? NaN);
}

export async function benchHostileMail(aos: { url: string }, imap: DovecotTestServer): Promise<void> {
  const agent = (
    await api<{ id: string }>(aos.url, 'POST', '/agents', {
      name: 'mail-reader',
      planner: 'llm',
      models: { anthropic: MAIL_MODEL },
    })
  ).id;
  await api(aos.url, 'POST', `/agents/${agent}/connections`, {
    name: 'inbox',
    kind: 'imap',
    settings: { host: '127.0.0.1', port: imap.port, tls: 'none', username: imap.user },
    secret: imap.password,
  });
  await lagMaxSeconds(aos.url); // resets the histogram
  let slowest = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const started = performance.now();
      await fetch(`${aos.url}/health/live`);
      slowest = Math.max(slowest, performance.now() - started);
      await sleep(20);
    }
  })();
  const started = Date.now();
  const { run_id } = await api<{ run_id: string }>(aos.url, 'POST', `/agents/${agent}/goals`, { goal: 'Read mail 1' });
  let run: { status: string; tool_calls: { skill_id: string; status: string }[] };
  do {
    await sleep(50);
    run = await api(aos.url, 'GET', `/agents/${agent}/runs/${run_id}`);
  } while (run.status === 'pending' || run.status === 'running');
  const seconds = (Date.now() - started) / 1000;
  polling = false;
  await poller;
  const lag = await lagMaxSeconds(aos.url);

  // The reference: mailparser's default conversion, on this process's event loop.
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const parsedAt = performance.now();
  await simpleParser(Buffer.from(hostileMail()));
  const referenceMs = performance.now() - parsedAt;
  await sleep(50);
  histogram.disable();
  const read = run.tool_calls.find((c) => c.skill_id === 'email_read');
  console.log(
    `hostile mail: worst event-loop delay ${(lag * 1000).toFixed(0)} ms while the service read it ` +
      `(worst /health/live ${slowest.toFixed(0)} ms; run ${run.status}, email_read ${read?.status} in ${seconds.toFixed(2)} s); ` +
      `parsed on the event loop as before: ${(histogram.max / 1e6).toFixed(0)} ms delay (${(referenceMs / 1000).toFixed(1)} s of parsing) — ` +
      `${(histogram.max / 1e6 / Math.max(lag * 1000, 1)).toFixed(0)}× less`,
  );
}
