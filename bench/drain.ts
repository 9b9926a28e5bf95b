/**
 * Drain benchmark: goals queued while their agents are paused, then every agent resumed at once;
 * runs/s from the resume to the last terminal run, at the service's default settings.
 *   (a) goals without network I/O (the rule-based plan only writes a memory);
 *   (b) goals whose one http_call waits 1 s at a local target.
 * During both it samples what a full worker costs: in-flight runs, the process's resident memory,
 * the instance's database connections, and GET /agents/{id} latency against idle.
 * Then (a) again, alternately with agents and goals of the operator key (tenant `default`) and of a
 * tenant admin key (tenant `bench`), row-level security on for both: the tenant's drain rate over
 * the operator's, medians of BENCH_DRAIN_PAIRS (3) rounds each.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { API_KEY, api, median, rssMb, sleep, withClient } from './support';

export interface SlowTarget {
  server: Server;
  port: number;
}

/** A local HTTP target whose /slow answers after one second. */
export async function startSlowTarget(): Promise<SlowTarget> {
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/slow')) setTimeout(() => res.end('slow answer'), 1_000);
    else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

interface Sample {
  inFlight: number;
  rssMb: number;
  connections: number;
}

async function apiLatency(
  url: string,
  agentId: string,
  durationS: number,
  key: string,
): Promise<{ p50: number; p99: number }> {
  const result = await autocannon({
    url: `${url}/agents/${agentId}`,
    connections: 4,
    duration: durationS,
    headers: { 'x-aos-key': key },
  });
  return { p50: result.latency.p50, p99: result.latency.p99 };
}

interface DrainOptions {
  agents: number;
  goals: number;
  goal: string;
  /** The credential that creates the agents, submits the goals and resumes (the operator key by default). */
  key?: string;
}

/** Paused agents with goals queued: what a drain starts from. */
async function queue(aosUrl: string, options: DrainOptions): Promise<{ agents: string[]; runIds: string[] }> {
  const key = options.key ?? API_KEY;
  const agents: string[] = [];
  for (let i = 0; i < options.agents; i++) {
    const { id } = await api<{ id: string }>(
      aosUrl,
      'POST',
      '/agents',
      { name: `drain-${i}`, planner: 'rule-based' },
      key,
    );
    await api(aosUrl, 'POST', `/agents/${id}/pause`, undefined, key);
    agents.push(id);
  }
  // Goals round-robin over the agents, a few requests in flight at a time.
  const runIds: string[] = [];
  for (let i = 0; i < options.goals; i += 16) {
    const batch = Array.from({ length: Math.min(16, options.goals - i) }, (_, j) =>
      api<{ run_id: string }>(
        aosUrl,
        'POST',
        `/agents/${agents[(i + j) % agents.length]}/goals`,
        { goal: options.goal },
        key,
      ),
    );
    runIds.push(...(await Promise.all(batch)).map((r) => r.run_id));
  }
  return { agents, runIds };
}

/** Resumes every agent at once; when that started, and the runs' outcome once none is open. */
async function resumeAll(
  aosUrl: string,
  dbUrl: string,
  agents: string[],
  runIds: string[],
  key: string,
  whileDraining?: () => void,
): Promise<{ started: number; finished: { open: number; last: Date | null; completed: number } }> {
  const started = Date.now();
  await Promise.all(agents.map((id) => api(aosUrl, 'POST', `/agents/${id}/resume`, undefined, key)));
  whileDraining?.();
  const finished = await withClient(dbUrl, async (c) => {
    for (;;) {
      const { rows } = await c.query<{ open: number; last: Date | null; completed: number }>(
        `SELECT count(*) FILTER (WHERE status IN ('pending', 'running'))::int AS open,
                count(*) FILTER (WHERE status = 'completed')::int AS completed,
                max(completed_at) AS last
           FROM runs WHERE id = ANY($1::uuid[])`,
        [runIds],
      );
      if (rows[0].open === 0) return rows[0];
      await sleep(50);
    }
  });
  return { started, finished };
}

async function drain(
  aos: { child: ChildProcess; url: string },
  dbUrl: string,
  label: string,
  options: DrainOptions & { target: number; watchApi: boolean },
): Promise<void> {
  const key = options.key ?? API_KEY;
  const { agents, runIds } = await queue(aos.url, options);
  const pid = aos.child.pid!;
  const idleRss = rssMb(pid);
  const idleApi = options.watchApi ? await apiLatency(aos.url, agents[0], 3, key) : undefined;

  const samples: Sample[] = [];
  let done = false;
  const sampler = withClient(dbUrl, async (c) => {
    while (!done) {
      const { rows } = await c.query<{ in_flight: number; connections: number }>(
        `SELECT (SELECT count(*)::int FROM runs WHERE status = 'running') AS in_flight,
                (SELECT count(*)::int FROM pg_stat_activity
                  WHERE datname = current_database() AND pid <> pg_backend_pid()
                    AND application_name LIKE 'aos%') AS connections`,
      );
      samples.push({ inFlight: rows[0].in_flight, rssMb: rssMb(pid), connections: rows[0].connections });
      await sleep(100);
    }
  });

  // Each backend reports its table counters at most once a second: let the submissions' arrive first.
  await sleep(1_500);
  const writesBefore = await withClient(dbUrl, writeCounts);
  let busyApi: Promise<{ p50: number; p99: number }> | undefined;
  const { started, finished } = await resumeAll(aos.url, dbUrl, agents, runIds, key, () => {
    if (options.watchApi) busyApi = apiLatency(aos.url, agents[0], 3, key);
  });
  done = true;
  await sampler;
  const busy = await busyApi;
  // Each backend reports its table counters at most once a second: let them arrive.
  await sleep(1_500);
  const writes = perRun(writesBefore, await withClient(dbUrl, writeCounts), runIds.length);
  const seconds = (finished.last!.getTime() - started) / 1000;
  const rate = runIds.length / seconds;
  const peak = samples.reduce((m, s) => (s.inFlight > m.inFlight ? s : m), samples[0]);
  const peakRss = Math.max(...samples.map((s) => s.rssMb));
  const peakConnections = Math.max(...samples.map((s) => s.connections));
  const meanInFlight = samples.reduce((sum, s) => sum + s.inFlight, 0) / Math.max(samples.length, 1);
  console.log(
    `drain ${label.padEnd(44)} ${rate.toFixed(0).padStart(5)} runs/s (target ≥ ${options.target}) ` +
      `${finished.completed}/${runIds.length} completed in ${seconds.toFixed(2)} s; ${meanInFlight.toFixed(0)} in flight on average, peak ${peak.inFlight}, ` +
      `${peakConnections} connections of the instance at most (pool + LISTEN)`,
  );
  console.log(`      writes per run: ${writes}`);
  if (options.watchApi && idleApi && busy) {
    const perRunKb = ((peakRss - idleRss) * 1024) / Math.max(peak.inFlight, 1);
    console.log(
      `      memory: RSS ${idleRss.toFixed(0)} MB idle → ${peakRss.toFixed(0)} MB with ${peak.inFlight} in flight ` +
        `(≈ ${perRunKb.toFixed(0)} KB per in-flight run); GET /agents/{id} p50/p99 ${idleApi.p50}/${idleApi.p99} ms idle, ` +
        `${busy.p50}/${busy.p99} ms during the drain`,
    );
  }
}

interface WriteCounts {
  tables: Record<string, { ins: number; upd: number; del: number }>;
  commits: number;
  /** Bytes of WAL written so far, and checkpoints so far (a drain after one pays full-page writes). */
  walBytes: number;
  checkpoints: number;
}

/** Rows inserted, updated and deleted per table, and transactions committed, in this database so far. */
async function writeCounts(c: import('pg').Client): Promise<WriteCounts> {
  const { rows } = await c.query<{ relname: string; ins: string; upd: string; del: string }>(
    'SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd, n_tup_del AS del FROM pg_stat_user_tables',
  );
  const [{ commits }] = (
    await c.query<{ commits: string }>(
      'SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()',
    )
  ).rows;
  const [wal] = (
    await c.query<{ bytes: string; checkpoints: string }>(
      `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint AS bytes,
              (SELECT num_timed + num_requested FROM pg_stat_checkpointer) AS checkpoints`,
    )
  ).rows;
  return {
    tables: Object.fromEntries(
      rows.map((r) => [r.relname, { ins: Number(r.ins), upd: Number(r.upd), del: Number(r.del) }]),
    ),
    commits: Number(commits),
    walBytes: Number(wal.bytes),
    checkpoints: Number(wal.checkpoints),
  };
}

/** The rows each run wrote (inserted + updated, by table) and the transactions it took, on average. */
function perRun(before: WriteCounts, after: WriteCounts, runs: number): string {
  const per = (n: number) => n / runs;
  const parts: string[] = [];
  let ins = 0;
  let upd = 0;
  for (const [table, a] of Object.entries(after.tables)) {
    const b = before.tables[table] ?? { ins: 0, upd: 0, del: 0 };
    const [i, u] = [a.ins - b.ins, a.upd - b.upd];
    if (i + u === 0) continue;
    ins += i;
    upd += u;
    parts.push(`${table} ${per(i).toFixed(1)}+${per(u).toFixed(1)}`);
  }
  const checkpoints = after.checkpoints - before.checkpoints;
  return (
    `${per(ins).toFixed(1)} rows inserted + ${per(upd).toFixed(1)} updated ` +
    `(${parts.sort().join(', ')}; inserted+updated), ${per(after.commits - before.commits).toFixed(1)} transactions, ` +
    `${(per(after.walBytes - before.walBytes) / 1024).toFixed(1)} KB of WAL` +
    (checkpoints > 0 ? ` (${checkpoints} checkpoint${checkpoints > 1 ? 's' : ''} during the drain)` : '')
  );
}

const DRAIN_PAIRS = Number(process.env.BENCH_DRAIN_PAIRS ?? 3);

/**
 * Drain (a) with the operator key and with a tenant key in turn (the first of each pair swaps,
 * so a drift over the rounds hits both alike): runs/s of each, their medians and the ratio.
 */
async function tenantVsOperator(aosUrl: string, dbUrl: string, tenantKey: string): Promise<void> {
  const options: DrainOptions = { agents: 50, goals: 2_000, goal: 'remember the drain benchmark' };
  const rates = { operator: [] as number[], tenant: [] as number[] };
  const incomplete: string[] = [];
  for (let pair = 0; pair < DRAIN_PAIRS; pair++) {
    const order: (keyof typeof rates)[] = pair % 2 === 0 ? ['operator', 'tenant'] : ['tenant', 'operator'];
    for (const who of order) {
      const key = who === 'tenant' ? tenantKey : API_KEY;
      const { agents, runIds } = await queue(aosUrl, { ...options, key });
      // As in the drains above: the submissions' side work (events numbered, webhooks) settles first.
      await sleep(1_000);
      const { started, finished } = await resumeAll(aosUrl, dbUrl, agents, runIds, key);
      if (finished.completed !== runIds.length) incomplete.push(`${who} ${finished.completed}/${runIds.length}`);
      rates[who].push(runIds.length / ((finished.last!.getTime() - started) / 1000));
    }
  }
  const [operator, tenant] = [median(rates.operator), median(rates.tenant)];
  const each = (values: number[]) => values.map((r) => r.toFixed(0)).join(', ');
  console.log(
    `drain ${'(a) by a tenant key vs the operator key'.padEnd(44)} operator ${operator.toFixed(0).padStart(5)} runs/s ` +
      `(${each(rates.operator)}) | tenant ${tenant.toFixed(0).padStart(5)} runs/s (${each(rates.tenant)}) | ` +
      `tenant/operator ${(tenant / operator).toFixed(2)} (target ≥ 0.90); medians of ${DRAIN_PAIRS} alternating drains each` +
      (incomplete.length > 0 ? `; not all completed: ${incomplete.join(', ')}` : ''),
  );
}

export async function benchDrain(
  aos: { child: ChildProcess; url: string },
  dbUrl: string,
  target: SlowTarget,
  tenantKey: string,
): Promise<void> {
  // The figure against the target, with nothing else asking the instance for CPU …
  await drain(aos, dbUrl, '(a) 2,000 goals, no network, 50 agents', {
    agents: 50,
    goals: 2_000,
    goal: 'remember the drain benchmark',
    target: 300,
    watchApi: false,
  });
  // … and the same drain while GET /agents/{id} is load-tested (4 connections): what the API costs it.
  await drain(aos, dbUrl, "(a') the same, under API load", {
    agents: 50,
    goals: 2_000,
    goal: 'remember the drain benchmark',
    target: 300,
    watchApi: true,
  });
  await drain(aos, dbUrl, '(b) 400 goals, one 1 s call each, 100 agents', {
    agents: 100,
    goals: 400,
    goal: `fetch http://127.0.0.1:${target.port}/slow`,
    target: 50,
    watchApi: true,
  });
  // Row-level security is on with either credential: what a tenant key adds to the drain.
  await tenantVsOperator(aos.url, dbUrl, tenantKey);
}
