/**
 * `npm run bench`: AOS against a bare Fastify + pg server doing the same insert/select with the
 * same key look-up (the reference of the 0.80 throughput target), and against the "Nest floor" (the same routes on NestJS
 * with nothing but guard, ValidationPipe and SQL), on the same PostgreSQL (DATABASE_URL, else an
 * embedded one in a temporary directory). Each server runs in its own process, the load generator
 * (autocannon) in this one. Prints requests/s, p99 and ratios, with the operator key and with a
 * tenant admin key (tenant `bench`, minted through the API); AOS runs every request under
 * row-level security with either, the references only look the key up (reference-auth.ts).
 */
import type autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EmbeddedPostgresServer } from '../src/database/embedded/server';
import type { FakeModelServer } from '../test/support/fake-models';
import { benchAgentLoop, benchReplay, startFakeModel } from './agent-loop';
import { benchDrain, SlowTarget, startSlowTarget } from './drain';
import { benchRecall } from './recall';
import { benchNatsRelay, benchSse } from './events';
import { NatsTestServer } from '../test/support/nats-server';
import { DovecotTestServer } from '../test/support/dovecot-server';
import { benchHostileMail, hostileMail } from './mail';
import { benchLimits } from './limits';
import { benchTokens } from './tokens';
import {
  agentIds,
  API_KEY,
  api,
  CONNECTIONS,
  DURATION_S,
  getAgent,
  load,
  Measured,
  median,
  percentile,
  ROUNDS,
  tenantAdminKey,
  withClient,
} from './support';

const ROOT = resolve(__dirname, '../..');
/**
 * `BENCH_ONLY=drain,recall` runs only those sections (api, tokens, goals, drain, loop, limits,
 * replay, recall, sse, nats, mail); all by default.
 */
const sections = new Set(
  (process.env.BENCH_ONLY ?? 'api,tokens,goals,drain,loop,limits,replay,recall,sse,nats,mail')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);
// The runtime flags of `npm run start:prod` and the Dockerfile, given to every server alike.
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '--max-semi-space-size=32').split(' ').filter(Boolean);

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

interface Started {
  child: ChildProcess;
  url: string;
}

function startServer(script: string, env: Record<string, string>): Promise<Started> {
  const child = spawn(process.execPath, [...NODE_FLAGS, resolve(ROOT, script)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolveStart, reject) => {
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+) /.exec(output);
      if (match) resolveStart({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}: ${output}`)));
  });
}

function postAgent(): autocannon.Request {
  let n = 0;
  return {
    method: 'POST',
    path: '/agents',
    setupRequest: (r) => ({ ...r, body: JSON.stringify({ name: `bench-${n++}` }) }),
  };
}

interface Compared {
  aos: Measured;
  floor: Measured;
  bare: Measured;
}

/** Rounds alternate the three servers, so drift on a shared machine hits each alike. */
async function compare(
  urls: { aos: string; floor: string; bare: string },
  request: () => autocannon.Request,
  key = API_KEY,
): Promise<Compared> {
  const runs: Record<keyof Compared, Measured[]> = { aos: [], floor: [], bare: [] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.bare.push(await load(urls.bare, request(), DURATION_S, CONNECTIONS, key));
    runs.floor.push(await load(urls.floor, request(), DURATION_S, CONNECTIONS, key));
    runs.aos.push(await load(urls.aos, request(), DURATION_S, CONNECTIONS, key));
  }
  const summary = (measured: Measured[]): Measured => ({
    requests: measured.reduce((n, r) => n + r.requests, 0),
    rps: median(measured.map((r) => r.rps)),
    p50: median(measured.map((r) => r.p50)),
    p99: median(measured.map((r) => r.p99)),
    errors: measured.reduce((n, r) => n + r.errors, 0),
  });
  return { aos: summary(runs.aos), floor: summary(runs.floor), bare: summary(runs.bare) };
}

function row(label: string, { aos, floor, bare }: Compared): string {
  const server = (m: Measured) => `${m.rps.toFixed(0).padStart(6)} req/s p99 ${String(m.p99).padStart(3)} ms`;
  const errors = aos.errors + floor.errors + bare.errors;
  return (
    `${label.padEnd(29)} AOS ${server(aos)} | Nest floor ${server(floor)} | bare ${server(bare)} | ` +
    `AOS/bare ${(aos.rps / bare.rps).toFixed(2)} (p99 ${(bare.p99 / Math.max(aos.p99, 1)).toFixed(2)}), ` +
    `floor/bare ${(floor.rps / bare.rps).toFixed(2)}, AOS/floor ${(aos.rps / floor.rps).toFixed(2)}` +
    (errors > 0 ? `  errors: AOS ${aos.errors}, floor ${floor.errors}, bare ${bare.errors}` : '')
  );
}

/**
 * Goals accepted per second (to a paused agent, so only acceptance is measured), and pickup
 * latency: from the run's creation to a worker starting it, for goals with no network I/O,
 * submitted 25 ms apart to four active agents.
 */
async function benchGoals(aosUrl: string, dbUrl: string): Promise<void> {
  const paused = await api<{ id: string }>(aosUrl, 'POST', '/agents', { name: 'bench-paused', planner: 'rule-based' });
  await api(aosUrl, 'POST', `/agents/${paused.id}/pause`);
  const accepted = await load(aosUrl, {
    method: 'POST',
    path: `/agents/${paused.id}/goals`,
    body: JSON.stringify({ goal: 'remember the benchmark' }),
  });
  console.log(
    `POST /agents/{id}/goals  ${accepted.rps.toFixed(0).padStart(7)} accepted/s (202) p50 ${accepted.p50} ms p99 ${accepted.p99} ms` +
      (accepted.errors ? `  errors: ${accepted.errors}` : ''),
  );
  // Leave nothing behind that a worker would pick up while pickup latency is measured.
  await api(aosUrl, 'POST', `/agents/${paused.id}/stop`);

  const agents = await Promise.all(
    [0, 1, 2, 3].map(() =>
      api<{ id: string }>(aosUrl, 'POST', '/agents', { name: 'bench-active', planner: 'rule-based' }),
    ),
  );
  const runIds: string[] = [];
  for (let i = 0; i < 400; i++) {
    const agent = agents[i % agents.length];
    runIds.push(
      (await api<{ run_id: string }>(aosUrl, 'POST', `/agents/${agent.id}/goals`, { goal: `note ${i}` })).run_id,
    );
    await new Promise((r) => setTimeout(r, 25));
  }
  const latencies = await withClient(dbUrl, async (c) => {
    for (;;) {
      const { rows } = await c.query<{ pickup_ms: number | null }>(
        `SELECT extract(epoch FROM (started_at - created_at)) * 1000 AS pickup_ms FROM runs WHERE id = ANY($1::uuid[])`,
        [runIds],
      );
      if (rows.every((r) => r.pickup_ms !== null)) return rows.map((r) => Number(r.pickup_ms)).sort((a, b) => a - b);
      await new Promise((r) => setTimeout(r, 200));
    }
  });
  console.log(
    `pickup (created → running)  p50 ${percentile(latencies, 50).toFixed(1)} ms  p99 ${percentile(latencies, 99).toFixed(1)} ms  ` +
      `max ${latencies[latencies.length - 1].toFixed(1)} ms over ${latencies.length} runs`,
  );
}

async function main(): Promise<void> {
  let embedded: EmbeddedPostgresServer | undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    embedded = new EmbeddedPostgresServer({
      dataDir: mkdtempSync(join(tmpdir(), 'aos-bench-')),
      port: 0,
      database: 'postgres',
    });
    adminUrl = await embedded.start();
  }
  const dbName = `aos_bench_${Date.now().toString(36)}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = databaseUrl(adminUrl, dbName);
  const children: ChildProcess[] = [];
  let target: SlowTarget | undefined;
  let fakeModel: FakeModelServer | undefined;
  let nats: NatsTestServer | undefined;
  let imap: DovecotTestServer | undefined;
  try {
    if (sections.has('mail')) {
      // The hostile mail's mailbox: a real Dovecot, ready before AOS starts (its port is allow-listed).
      imap = new DovecotTestServer();
      await imap.start();
      await imap.deliver(hostileMail());
    }
    // The benchmark scrapes /metrics itself (event-loop delay): public, as production allows it to be.
    const common = {
      DATABASE_URL: url,
      AOS_API_KEY: API_KEY,
      HOST: '127.0.0.1',
      PORT: '0',
      AOS_METRICS_PUBLIC: 'true',
    };
    // AOS migrates the database first; the bare server then uses the very same table.
    target = await startSlowTarget();
    fakeModel = await startFakeModel();
    const aosEnv = {
      ...common,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      AOS_CORS_ORIGINS: 'none',
      // The drain benchmark's local target: the only private address AOS may call.
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      // The agent-loop benchmark's model: a fake Anthropic server in this process.
      ANTHROPIC_API_KEY: 'bench',
      ANTHROPIC_BASE_URL: fakeModel.baseUrl,
      AOS_CONNECTION_ALLOW_HOSTS: imap ? `127.0.0.1:${imap.port}` : '',
      // Production seals connection secrets with a key of its own (the mail's mailbox needs one).
      AOS_SECRET_KEY: Buffer.alloc(32, 9).toString('base64'),
    };
    const aos = await startServer('dist/src/main.js', aosEnv);
    children.push(aos.child);
    // The references' outbox: the events table's twin (see agent-row.ts), made once AOS migrated.
    await withClient(url, (c) => c.query('CREATE TABLE bench_events (LIKE events INCLUDING ALL)'));
    const bare = await startServer('dist/bench/bare-server.js', common);
    children.push(bare.child);
    const floor = await startServer('dist/bench/nest-floor-server.js', common);
    children.push(floor.child);
    const urls = { aos: aos.url, floor: floor.url, bare: bare.url };

    console.log(
      `AOS benchmark — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    );
    console.log(
      `PostgreSQL: ${embedded ? 'embedded' : 'DATABASE_URL'}; ${CONNECTIONS} connections; ` +
        `median of ${ROUNDS} alternating ${DURATION_S} s rounds; AOS LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'info'}\n`,
    );

    // A tenant `bench` and an admin key of it, minted through the API (the tenant-key figures).
    const tenantKey = await tenantAdminKey(aos.url, 'bench');

    // Warm up all three (JIT, pools, caches) before measuring, with either credential.
    for (const url of Object.values(urls)) {
      await load(url, postAgent(), 2);
      await load(url, postAgent(), 1, CONNECTIONS, tenantKey);
    }

    if (sections.has('api')) {
      // Row-level security is on in AOS with either credential: the operator key acts in `default`.
      console.log(row('POST /agents', await compare(urls, postAgent)));
      console.log(row('POST /agents (tenant key)', await compare(urls, postAgent, tenantKey)));
      // Each credential reads agents of its own tenant (another's would be a 404).
      const [defaultIds, benchIds] = [await agentIds(url, 'default'), await agentIds(url, 'bench')];
      console.log(row('GET /agents/{id}', await compare(urls, () => getAgent(defaultIds))));
      console.log(row('GET /agents/{id} (tenant key)', await compare(urls, () => getAgent(benchIds), tenantKey)));
    }
    if (sections.has('tokens')) await benchTokens(aos, url, tenantKey);
    if (sections.has('goals')) await benchGoals(aos.url, url);
    if (sections.has('drain')) await benchDrain(aos, url, target, tenantKey);
    if (sections.has('loop')) await benchAgentLoop(aos, url, fakeModel);
    if (sections.has('limits')) await benchLimits(aos, url, aosEnv);
    if (sections.has('replay')) await benchReplay(aos, url);
    if (sections.has('sse')) await benchSse(aos);
    if (sections.has('nats')) {
      // A second instance on the same database relays to a nats-server of its own (which the
      // benchmark stops and restarts); the first one, measured above, never relays.
      nats = await new NatsTestServer().start();
      const relay = await startServer('dist/src/main.js', {
        ...common,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        AOS_ROLE: 'api',
        AOS_NATS_URL: nats.url,
      });
      children.push(relay.child);
      await benchNatsRelay(aos, url, nats);
    }
    if (sections.has('recall')) await benchRecall(aos.url, url, DURATION_S);
    if (imap) await benchHostileMail(aos, imap);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    target?.server.close();
    await fakeModel?.stop();
    await nats?.destroy();
    await imap?.destroy();
    await new Promise((r) => setTimeout(r, 500));
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
