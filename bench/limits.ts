/**
 * What the daily token limit's check costs per model call. The agent loop's overhead workload
 * (runs of 3 model calls answered at once and 2 memory_write, see agent-loop.ts) for a tenant
 * `limits` on the same 50 agents, alternately without limits and with `model_tokens_per_day` far
 * above what the runs use (so the check reads today's usage before every call and never refuses),
 * set through PATCH /tenants/{id} before each round (the instance forgets its cached limits at
 * once); BENCH_LIMIT_PAIRS (3) pairs of BENCH_LIMIT_GOALS (300) runs, the order alternating.
 * Reported, medians of each: runs/s, the service's and PostgreSQL's CPU per model call (from
 * /proc), and wall time per model call (the drain's time ÷ its model calls).
 *
 * Then `LimitsService.tokenBudget` alone: an instance booted in this process (AOS_ROLE=api, no
 * worker) on the same database, the call timed one at a time in the tenant's scope, with and
 * without the limit.
 */
import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { FAST, runAll } from './agent-loop';
import { api, cpuMs, median, percentile, postgresCpu, signed, tenantAdminKey, withClient } from './support';

const PAIRS = Number(process.env.BENCH_LIMIT_PAIRS ?? 3);
const GOALS = Number(process.env.BENCH_LIMIT_GOALS ?? 300);
/** Far above anything the benchmark spends in a day, so the check never refuses. */
const HIGH = 1_000_000_000_000;

type Kind = 'none' | 'daily';

interface Round {
  runsPerS: number;
  serviceMs: number;
  postgresMs: number | undefined;
  wallMs: number;
  modelCalls: number;
  statuses: Record<string, number>;
}

export async function benchLimits(
  aos: { child: ChildProcess; url: string },
  dbUrl: string,
  env: Record<string, string>,
): Promise<void> {
  const key = await tenantAdminKey(aos.url, 'limits');
  const tenant = await api<{ id: string }>(aos.url, 'GET', '/tenants/limits');
  const setLimit = async (kind: Kind) => {
    const wanted = kind === 'daily' ? HIGH : null;
    const { limits } = await api<{ limits: { model_tokens_per_day?: number | null } }>(
      aos.url,
      'PATCH',
      `/tenants/${tenant.id}`,
      { limits: { model_tokens_per_day: wanted } },
    );
    if ((limits.model_tokens_per_day ?? null) !== wanted) throw new Error(`the limit is ${JSON.stringify(limits)}`);
  };
  const pid = aos.child.pid!;
  let agents: string[] | undefined;
  const rounds: Record<Kind, Round[]> = { none: [], daily: [] };
  await withClient(dbUrl, async (c) => {
    const postgresMs = await postgresCpu(c);
    // A first drain of each, unmeasured: the agents, JIT, today's usage row.
    for (const kind of ['none', 'daily'] as Kind[]) {
      await setLimit(kind);
      agents = (await runAll(aos, dbUrl, { agents: 50, goals: 100, model: FAST, key, reuse: agents }, () => {})).agents;
    }
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const kind of (pair % 2 === 0 ? ['none', 'daily'] : ['daily', 'none']) as Kind[]) {
        await setLimit(kind);
        let serviceBefore = 0;
        let postgresBefore: number | undefined;
        const drained = await runAll(aos, dbUrl, { agents: 50, goals: GOALS, model: FAST, key, reuse: agents }, () => {
          serviceBefore = cpuMs(pid);
          postgresBefore = postgresMs?.();
        });
        const serviceMs = cpuMs(pid) - serviceBefore;
        const postgresAfter = postgresMs?.();
        const calls = drained.modelCalls;
        rounds[kind].push({
          runsPerS: GOALS / drained.seconds,
          serviceMs: serviceMs / calls,
          postgresMs:
            postgresAfter === undefined || postgresBefore === undefined
              ? undefined
              : (postgresAfter - postgresBefore) / calls,
          wallMs: (drained.seconds * 1000) / calls,
          modelCalls: calls,
          statuses: drained.statuses,
        });
      }
    }
  });
  await setLimit('none');

  // Each pair's two rounds ran next to each other: their ratio and differences, then the median.
  const med = (kind: Kind, of: (r: Round) => number | undefined) => median(rounds[kind].map((r) => of(r) ?? NaN));
  const paired = (of: (with_: Round, without: Round) => number) =>
    median(rounds.none.map((without, i) => of(rounds.daily[i], without)));
  const ratios = rounds.none.map((without, i) => rounds.daily[i].runsPerS / without.runsPerS);
  const fmt = (v: number, digits = 2) => (Number.isNaN(v) ? '—' : v.toFixed(digits));
  const delta = (v: number, digits = 2) => (Number.isNaN(v) ? '—' : signed(v, digits));
  const side = (kind: Kind) =>
    `${fmt(
      med(kind, (r) => r.runsPerS),
      1,
    )} runs/s; per model call service CPU ${fmt(med(kind, (r) => r.serviceMs))} ms, ` +
    `PostgreSQL CPU ${fmt(med(kind, (r) => r.postgresMs))} ms, wall ${fmt(med(kind, (r) => r.wallMs))} ms`;
  const statuses: Record<string, number> = {};
  for (const r of [...rounds.none, ...rounds.daily]) {
    for (const [status, n] of Object.entries(r.statuses)) statuses[status] = (statuses[status] ?? 0) + n;
  }
  console.log(
    `limits: ${PAIRS} pairs of ${GOALS} runs (3 model calls + 2 memory_write each) on 50 agents — no limit: ` +
      `${side('none')} | model_tokens_per_day: ${side('daily')} | with ÷ without ${fmt(median(ratios))} runs/s ` +
      `(per pair ${ratios.map((r) => r.toFixed(2)).join(', ')}); per model call, paired: ` +
      `${delta(paired((w, o) => w.serviceMs - o.serviceMs))} ms service CPU, ` +
      `${delta(paired((w, o) => (w.postgresMs ?? NaN) - (o.postgresMs ?? NaN)))} ms PostgreSQL CPU, ` +
      `${delta(paired((w, o) => w.wallMs - o.wallMs))} ms wall; ${JSON.stringify(statuses)}`,
  );
  await tokenBudgetAlone(dbUrl, env, tenant.id, setLimit);
}

/** LimitsService.tokenBudget timed alone, in an instance of AOS booted in this process. */
async function tokenBudgetAlone(
  dbUrl: string,
  env: Record<string, string>,
  tenantId: string,
  setLimit: (kind: Kind) => Promise<unknown>,
): Promise<void> {
  // Loaded here only: the rest of the benchmark's process never carries the application.
  await import('reflect-metadata');
  const { createAosServer } = await import('../src/bootstrap.js');
  const { LimitsService } = await import('../src/limits/limits.service.js');
  const { inTenant } = await import('../src/common/db-scope.js');
  const server = await createAosServer({
    env: { ...env, DATABASE_URL: dbUrl, AOS_ROLE: 'api', LOG_LEVEL: 'silent' },
  });
  try {
    const limits = server.app.get(LimitsService);
    const n = 5_000;
    const time = (kind: Kind, postgresMs: (() => number) | undefined) => async () => {
      await setLimit(kind);
      limits.forget(tenantId);
      const samples: number[] = [];
      let cpu = process.cpuUsage();
      let postgresBefore = 0;
      await inTenant(tenantId, async () => {
        for (let i = 0; i < 500; i++) await limits.tokenBudget(tenantId);
        cpu = process.cpuUsage();
        postgresBefore = postgresMs?.() ?? 0;
        for (let i = 0; i < n; i++) {
          const started = performance.now();
          const budget = await limits.tokenBudget(tenantId);
          samples.push(performance.now() - started);
          if (budget.over) throw new Error('the benchmark tenant is over its daily tokens');
        }
      });
      const used = process.cpuUsage(cpu);
      const postgres = postgresMs
        ? `, PostgreSQL CPU ${(((postgresMs() - postgresBefore) * 1000) / n).toFixed(1)} µs`
        : '';
      samples.sort((a, b) => a - b);
      const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
      return (
        `mean ${us(samples.reduce((sum, v) => sum + v, 0) / n)}, p50 ${us(percentile(samples, 50))}, ` +
        `p99 ${us(percentile(samples, 99))}; CPU of this process ${((used.user + used.system) / n).toFixed(1)} µs${postgres}`
      );
    };
    const [none, daily] = await withClient(dbUrl, async (c) => {
      const postgresMs = await postgresCpu(c);
      return [await time('none', postgresMs)(), await time('daily', postgresMs)()];
    });
    console.log(
      `LimitsService.tokenBudget alone (${n} calls one at a time, an instance in the benchmark's process), per call: ` +
        `no daily limit ${none} | model_tokens_per_day set ${daily}`,
    );
  } finally {
    await setLimit('none');
    await server.close();
  }
}
