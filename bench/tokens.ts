/**
 * Bearer tokens against keys: `GET /agents/{id}` of the tenant `bench` on the same AOS, with the
 * tenant's admin key in X-AOS-Key and with an access token minted from that key (POST /auth/token)
 * as `Authorization: Bearer`, in alternating rounds (the key first in even rounds, the token first
 * in odd ones), BENCH_TOKEN_ROUNDS (6) pairs of BENCH_DURATION_S rounds: requests/s and p99 of
 * each, bearer ÷ key (the median of each pair's ratio; target ≥ 0.90), and the service's CPU per
 * request of each (from /proc) — their difference is what a bearer request costs more.
 *
 * Then where that difference goes, in this process on the same token: jose's `jwtVerify` with
 * the options AOS passes (WebCrypto Ed25519, as AOS verifies), one at a time and 32 at a time;
 * node:crypto's synchronous Ed25519 verify of the same signature; and the SHA-256 of the token (what
 * a cache of verified tokens by digest would cost per request instead).
 */
import type { ChildProcess } from 'node:child_process';
import { createPublicKey, hash, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { decodeJwt, importJWK, type JWK, jwtVerify, type JWTVerifyGetKey } from 'jose';
import {
  accessToken,
  agentIds,
  api,
  CONNECTIONS,
  cpuMs,
  Credential,
  DURATION_S,
  getAgent,
  load,
  Measured,
  median,
  signed,
} from './support';

const ROUNDS = Number(process.env.BENCH_TOKEN_ROUNDS ?? 6);

type Kind = 'key' | 'bearer';

interface Round {
  measured: Measured;
  /** The service's CPU (user + system) per answered request, µs. */
  cpuUs: number;
}

export async function benchTokens(
  aos: { child: ChildProcess; url: string },
  dbUrl: string,
  tenantKey: string,
): Promise<void> {
  let ids = await agentIds(dbUrl, 'bench');
  for (let i = ids.length; i < 200; i++) {
    await api(aos.url, 'POST', '/agents', { name: `tokens-${i}` }, tenantKey);
  }
  if (ids.length < 200) ids = await agentIds(dbUrl, 'bench');
  // A client keeps its token for its lifetime; a fresh one per round stays well inside it.
  const credentials: Record<Kind, Credential> = { key: tenantKey, bearer: await accessToken(aos.url, tenantKey) };
  const pid = aos.child.pid!;
  // Warm the bearer path too (JIT, the key-by-id cache) before measuring.
  await load(aos.url, getAgent(ids), 2, CONNECTIONS, credentials.bearer);
  await load(aos.url, getAgent(ids), 1, CONNECTIONS, tenantKey);

  const rounds: Record<Kind, Round[]> = { key: [], bearer: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of (round % 2 === 0 ? ['key', 'bearer'] : ['bearer', 'key']) as Kind[]) {
      if (kind === 'bearer') credentials.bearer = await accessToken(aos.url, tenantKey);
      const before = cpuMs(pid);
      const measured = await load(aos.url, getAgent(ids), DURATION_S, CONNECTIONS, credentials[kind]);
      rounds[kind].push({ measured, cpuUs: ((cpuMs(pid) - before) * 1000) / Math.max(measured.requests, 1) });
    }
  }
  const rps = (kind: Kind) => median(rounds[kind].map((r) => r.measured.rps));
  const p99 = (kind: Kind) => median(rounds[kind].map((r) => r.measured.p99));
  const cpu = (kind: Kind) => median(rounds[kind].map((r) => r.cpuUs));
  const errors = (kind: Kind) => rounds[kind].reduce((n, r) => n + r.measured.errors, 0);
  const pairs = rounds.key.map((k, i) => rounds.bearer[i].measured.rps / k.measured.rps);
  const ratio = median(pairs);
  console.log(
    `GET /agents/{id} bearer token ${rps('bearer').toFixed(0)} req/s p99 ${p99('bearer')} ms | tenant key ` +
      `${rps('key').toFixed(0)} req/s p99 ${p99('key')} ms | bearer/key ${ratio.toFixed(2)} ` +
      `(target ≥ 0.90 ${ratio >= 0.9 ? '✔' : '✘'}; per pair ${pairs.map((r) => r.toFixed(2)).join(', ')}) — service CPU per request ` +
      `bearer ${cpu('bearer').toFixed(0)} µs, key ${cpu('key').toFixed(0)} µs (${signed(cpu('bearer') - cpu('key'), 0)} µs)` +
      (errors('key') + errors('bearer') > 0 ? `  errors: key ${errors('key')}, bearer ${errors('bearer')}` : ''),
  );
  await verifyCosts(aos.url, (credentials.bearer as { bearer: string }).bearer);
}

/** The verification's parts, timed in this process on the token the rounds used. */
async function verifyCosts(base: string, token: string): Promise<void> {
  const { keys } = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as { keys: (JWK & { kid: string })[] };
  const [header, payload, signature] = token.split('.');
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
  const jwk = keys.find((k) => k.kid === kid)!;
  const claims = decodeJwt(token);
  const webKey = await importJWK(jwk, 'EdDSA');
  // The options of SigningKeys.verify; the key is found by kid, as AOS's resolver does.
  const options = {
    algorithms: ['EdDSA'],
    issuer: claims.iss!,
    audience: claims.aud!,
    typ: 'at+jwt',
    clockTolerance: 30,
    requiredClaims: ['exp', 'iat', 'sub'],
  };
  const byKid = new Map([[kid, webKey]]);
  const keyFor: JWTVerifyGetKey = (h) => byKid.get(h.kid!)!;
  const jose = () => jwtVerify(token, keyFor, options);
  const keyObject = createPublicKey({ key: jwk, format: 'jwk' });
  const signed = Buffer.from(`${header}.${payload}`);
  const sig = Buffer.from(signature, 'base64url');

  const n = 5_000;
  const timed = async (work: () => unknown, inFlight = 1): Promise<{ wallUs: number; cpuUs: number }> => {
    for (let i = 0; i < 500; i++) await work();
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < n; i += inFlight) await Promise.all(Array.from({ length: inFlight }, work));
    const used = process.cpuUsage(cpu);
    return { wallUs: ((performance.now() - started) * 1000) / n, cpuUs: (used.user + used.system) / n };
  };
  const serial = await timed(jose);
  const parallel = await timed(jose, 32);
  const sync = await timed(() => verify(null, signed, keyObject, sig));
  const digest = await timed(() => hash('sha256', token, 'buffer'));
  const fmt = (t: { wallUs: number; cpuUs: number }) => `${t.wallUs.toFixed(1)} µs (CPU ${t.cpuUs.toFixed(1)} µs)`;
  console.log(
    `token verification, per token (this process, ${n} each): jose jwtVerify ${fmt(serial)} one at a time, ` +
      `${fmt(parallel)} 32 at a time; node:crypto Ed25519 verify (sync) ${fmt(sync)}; ` +
      `SHA-256 of the token ${fmt(digest)}`,
  );
}
