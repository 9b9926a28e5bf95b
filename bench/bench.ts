/**
 * `npm run bench`: AOS against a bare Fastify + pg server doing the same work, on the same
 * PostgreSQL (DATABASE_URL, else an embedded one in a temporary directory), each server in its
 * own process and the load generator (autocannon) in this one. Prints requests/s, p99 and ratios.
 */
import autocannon from 'autocannon';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { EmbeddedPostgresServer } from '../src/database/embedded-postgres.server';

const API_KEY = 'bench-key-0123456789-abcdefghijklmnopqrstuvwxyz';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
// Rounds alternate bare and AOS so drift on a shared machine hits both alike; medians are reported.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const ROOT = resolve(__dirname, '../..');

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function startServer(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [resolve(ROOT, script)], {
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

async function load(url: string, request: autocannon.Request, durationS = DURATION_S): Promise<Measured> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: durationS,
    headers: { 'x-aos-key': API_KEY, 'content-type': 'application/json' },
    requests: [request],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

function postAgent(): autocannon.Request {
  let n = 0;
  return {
    method: 'POST',
    path: '/agents',
    setupRequest: (r) => ({ ...r, body: JSON.stringify({ name: `bench-${n++}` }) }),
  };
}

function getAgent(ids: string[]): autocannon.Request {
  let n = 0;
  return { method: 'GET', setupRequest: (r) => ({ ...r, path: `/agents/${ids[n++ % ids.length]}` }) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function compare(
  aosUrl: string,
  bareUrl: string,
  request: () => autocannon.Request,
): Promise<[Measured, Measured]> {
  const aos: Measured[] = [];
  const bare: Measured[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    bare.push(await load(bareUrl, request()));
    aos.push(await load(aosUrl, request()));
  }
  const summary = (runs: Measured[]): Measured => ({
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((n, r) => n + r.errors, 0),
  });
  return [summary(aos), summary(bare)];
}

function row(label: string, aos: Measured, bare: Measured): string {
  const ratio = aos.rps / bare.rps;
  return (
    `${label.padEnd(22)} AOS ${aos.rps.toFixed(0).padStart(7)} req/s p99 ${String(aos.p99).padStart(4)} ms | ` +
    `bare ${bare.rps.toFixed(0).padStart(7)} req/s p99 ${String(bare.p99).padStart(4)} ms | ` +
    `ratio ${ratio.toFixed(2)} (p99 ${(bare.p99 / Math.max(aos.p99, 1)).toFixed(2)})` +
    (aos.errors + bare.errors > 0 ? `  errors: AOS ${aos.errors}, bare ${bare.errors}` : '')
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
  try {
    const common = { DATABASE_URL: url, AOS_API_KEY: API_KEY, HOST: '127.0.0.1', PORT: '0' };
    // AOS migrates the database first; the bare server then uses the very same table.
    const aos = await startServer('dist/src/main.js', {
      ...common,
      NODE_ENV: 'production',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      AOS_CORS_ORIGINS: 'none',
    });
    children.push(aos.child);
    const bare = await startServer('dist/bench/bare-server.js', common);
    children.push(bare.child);

    console.log(
      `AOS benchmark — ${new Date().toISOString()} — ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`,
    );
    console.log(
      `PostgreSQL: ${embedded ? 'embedded' : 'DATABASE_URL'}; ${CONNECTIONS} connections; ` +
        `median of ${ROUNDS} alternating ${DURATION_S} s rounds; AOS LOG_LEVEL=${process.env.BENCH_LOG_LEVEL ?? 'info'}\n`,
    );

    // Warm up both (JIT, pools, caches) before measuring.
    await load(aos.url, postAgent(), 2);
    await load(bare.url, postAgent(), 2);

    const [aosCreate, bareCreate] = await compare(aos.url, bare.url, postAgent);
    console.log(row('POST /agents', aosCreate, bareCreate));

    const ids = await withClient(url, async (c) =>
      (await c.query<{ id: string }>('SELECT id FROM agents ORDER BY random() LIMIT 5000')).rows.map((r) => r.id),
    );
    const [aosGet, bareGet] = await compare(aos.url, bare.url, () => getAgent(ids));
    console.log(row('GET /agents/{id}', aosGet, bareGet));
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    await embedded?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
