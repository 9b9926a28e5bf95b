/** Helpers shared by the benchmark sections. */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Client } from 'pg';

export const API_KEY = 'bench-key-0123456789-abcdefghijklmnopqrstuvwxyz';
export const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Rounds of each figure that alternates servers or credentials (medians are reported). */
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/** A credential: an API key (sent as X-AOS-Key), or an access token sent as `Authorization: Bearer`. */
export type Credential = string | { bearer: string };

export function credentialHeaders(credential: Credential): Record<string, string> {
  return typeof credential === 'string'
    ? { 'x-aos-key': credential }
    : { authorization: `Bearer ${credential.bearer}` };
}

export interface Measured {
  /** Requests answered in the round. */
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** GET /agents/{id} over `ids` in turn. */
export function getAgent(ids: string[]): autocannon.Request {
  let n = 0;
  return { method: 'GET', setupRequest: (r) => ({ ...r, path: `/agents/${ids[n++ % ids.length]}` }) };
}

export async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function load(
  url: string,
  request: autocannon.Request,
  durationS = DURATION_S,
  connections = CONNECTIONS,
  key: Credential = API_KEY,
): Promise<Measured> {
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    headers: { ...credentialHeaders(key), 'content-type': 'application/json' },
    requests: [request],
  });
  return {
    requests: result.requests.total,
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

/** One request to AOS, with the operator key unless another `key` is given. */
export async function api<T>(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  key: Credential = API_KEY,
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers:
      body === undefined ? credentialHeaders(key) : { ...credentialHeaders(key), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A difference with its sign: +1.20, −0.30. */
export function signed(value: number, digits: number): string {
  return `${value < 0 ? '−' : '+'}${Math.abs(value).toFixed(digits)}`;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * A tenant `slug` (made by the operator if it does not exist yet) and a new admin key of it,
 * minted through the API as a client would: the tenant-key figures use it.
 */
export async function tenantAdminKey(base: string, slug: string): Promise<string> {
  const res = await fetch(`${base}/tenants`, {
    method: 'POST',
    headers: { 'x-aos-key': API_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ slug, name: `Benchmark tenant ${slug}` }),
  });
  if (!res.ok && res.status !== 409) throw new Error(`POST /tenants: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  const minted = await api<{ key: string }>(base, 'POST', `/tenants/${slug}/keys`, {
    name: 'bench',
    scopes: ['admin'],
  });
  return minted.key;
}

/** An access token minted from a tenant key at POST /auth/token, as a client would get one. */
export async function accessToken(base: string, key: string): Promise<{ bearer: string }> {
  const res = await fetch(`${base}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ grant_type: 'api_key', api_key: key }),
  });
  if (!res.ok) throw new Error(`POST /auth/token: ${res.status} ${await res.text()}`);
  return { bearer: ((await res.json()) as { access_token: string }).access_token };
}

/** Up to 5,000 agent ids of the tenant `slug`, in random order (read at the database). */
export function agentIds(dbUrl: string, slug: string): Promise<string[]> {
  return withClient(dbUrl, async (c) =>
    (
      await c.query<{ id: string }>(
        `SELECT a.id FROM agents a JOIN tenants t ON t.id = a.tenant_id WHERE t.slug = $1 ORDER BY random() LIMIT 5000`,
        [slug],
      )
    ).rows.map((r) => r.id),
  );
}

/** Clock ticks per second of /proc's CPU times. */
export const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

/** A process's CPU time (user + system) in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number, ticksPerSecond = CLOCK_TICKS): number {
  // After the command in parentheses, utime and stime are fields 14 and 15.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

/**
 * A reader of the CPU time (ms) of the PostgreSQL server behind `client`, when it runs on this
 * machine (the embedded one): its postmaster's own and its reaped children's, plus every live
 * backend's. Undefined when /proc does not show it (a remote DATABASE_URL).
 */
export async function postgresCpu(client: Client): Promise<(() => number) | undefined> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const stat = (pid: number | string) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  let postmaster: number;
  try {
    postmaster = Number(stat(rows[0].pid)[1]);
    stat(postmaster);
  } catch {
    return undefined;
  }
  return () => {
    const own = stat(postmaster);
    // utime, stime, cutime, cstime: fields 14–17.
    let ticks = [11, 12, 13, 14].reduce((n, i) => n + Number(own[i]), 0);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const fields = stat(entry);
        if (Number(fields[1]) === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
      } catch {
        // The process ended meanwhile: its time is now in the postmaster's cutime.
      }
    }
    return (ticks * 1000) / CLOCK_TICKS;
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A process's resident memory in MB (Linux, from /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}
