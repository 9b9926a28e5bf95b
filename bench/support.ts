/** Helpers shared by the benchmark sections. */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { Client } from 'pg';

export const API_KEY = 'bench-key-0123456789-abcdefghijklmnopqrstuvwxyz';
export const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 5);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
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
  key = API_KEY,
): Promise<Measured> {
  const result = await autocannon({
    url,
    connections,
    duration: durationS,
    headers: { 'x-aos-key': key, 'content-type': 'application/json' },
    requests: [request],
  });
  return {
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
  key: string = API_KEY,
): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body === undefined ? { 'x-aos-key': key } : { 'x-aos-key': key, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
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

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A process's resident memory in MB (Linux, from /proc). */
export function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}
