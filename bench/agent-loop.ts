/**
 * Agent-loop benchmark, against a fake Anthropic Messages server in this process (the real SDK
 * calls it over HTTP, as it would call the provider):
 *   overhead: 500 runs on 50 agents, each 3 model calls (answered at once) and 2 memory_write
 *     tool calls; the service process's CPU time (user + system, from /proc) ÷ model calls is
 *     the engine's cost per model call, its tool calls' bookkeeping included;
 *   throughput: 400 runs on 100 agents whose model takes 1 s per call, 2 calls per run: runs/s
 *     from the resume to the last completion, at the default concurrency.
 */
import type { ChildProcess } from 'node:child_process';
import { FakeModelServer, Turn } from '../test/support/fake-models';
import { MAIL_MODEL } from './mail';
import { api, cpuMs, Credential, sleep, withClient } from './support';

export const FAST = 'bench-fast';
const SLOW = 'bench-slow';

/** The fake model: `bench-fast` writes two memories then answers; `bench-slow` takes 1 s per call. */
export async function startFakeModel(): Promise<FakeModelServer> {
  const fake = await new FakeModelServer('anthropic').start();
  fake.record = false;
  const write = (n: number): Turn => ({
    tools: [{ name: 'memory_write', input: { memory_type: 'context', text: `benchmark note ${n}` } }],
    inputTokens: 800,
    outputTokens: 40,
  });
  fake.turnFor = ({ body, turn }) => {
    if ((body as { model: string }).model === MAIL_MODEL) {
      return turn === 0
        ? { tools: [{ name: 'email_read', input: { connection: 'inbox', uid: 1 } }] }
        : { text: 'read' };
    }
    if ((body as { model: string }).model === SLOW) {
      return turn === 0 ? { ...write(0), delayMs: 1_000 } : { text: 'done slowly', delayMs: 1_000 };
    }
    return turn < 2 ? write(turn) : { text: 'done', inputTokens: 900, outputTokens: 10 };
  };
  return fake;
}

interface Drained {
  seconds: number;
  statuses: Record<string, number>;
  modelCalls: number;
  /** The agents, in the order given (reuse them with `options.reuse`). */
  agents: string[];
  /** The runs, each with its agent. */
  runs: { agent: string; id: string }[];
}

/**
 * Submits `goals` runs on paused agents (new ones, or `options.reuse`), then resumes them and
 * waits for all to finish. `submit` makes one run (default: a goal); it answers the run id.
 */
export async function runAll(
  aos: { url: string },
  dbUrl: string,
  options: {
    agents: number;
    goals: number;
    model: string;
    reuse?: string[];
    submit?: (agent: string, i: number) => Promise<string>;
    /** The credential of every request (the operator key, in `default`, unless given). */
    key?: Credential;
  },
  duringResume: () => void,
): Promise<Drained> {
  const key = options.key;
  const agents: string[] = [];
  for (let i = 0; i < options.agents; i++) {
    let id = options.reuse?.[i];
    if (!id) {
      id = (
        await api<{ id: string }>(
          aos.url,
          'POST',
          '/agents',
          { name: `loop-${i}`, planner: 'llm', models: { anthropic: options.model } },
          key,
        )
      ).id;
    }
    await api(aos.url, 'POST', `/agents/${id}/pause`, undefined, key);
    agents.push(id);
  }
  const submit =
    options.submit ??
    (async (agent: string, i: number) =>
      (await api<{ run_id: string }>(aos.url, 'POST', `/agents/${agent}/goals`, { goal: `benchmark goal ${i}` }, key))
        .run_id);
  const runs: { agent: string; id: string }[] = [];
  for (let i = 0; i < options.goals; i += 16) {
    const batch = Array.from({ length: Math.min(16, options.goals - i) }, async (_, j) => {
      const agent = agents[(i + j) % agents.length];
      return { agent, id: await submit(agent, i + j) };
    });
    runs.push(...(await Promise.all(batch)));
  }
  const runIds = runs.map((r) => r.id);
  duringResume();
  const started = Date.now();
  await Promise.all(agents.map((id) => api(aos.url, 'POST', `/agents/${id}/resume`, undefined, key)));
  return withClient(dbUrl, async (c) => {
    for (;;) {
      const { rows } = await c.query<{ open: number; last: Date | null; model_calls: number }>(
        `SELECT count(*) FILTER (WHERE status IN ('pending', 'running'))::int AS open, max(completed_at) AS last,
                sum(model_calls)::int AS model_calls
           FROM runs WHERE id = ANY($1::uuid[])`,
        [runIds],
      );
      if (rows[0].open === 0) {
        const statuses = await c.query<{ status: string; n: number }>(
          'SELECT status, count(*)::int AS n FROM runs WHERE id = ANY($1::uuid[]) GROUP BY status',
          [runIds],
        );
        return {
          seconds: (rows[0].last!.getTime() - started) / 1000,
          statuses: Object.fromEntries(statuses.rows.map((r) => [r.status, r.n])),
          modelCalls: rows[0].model_calls,
          agents,
          runs,
        };
      }
      await sleep(50);
    }
  });
}

export async function benchAgentLoop(
  aos: { child: ChildProcess; url: string },
  dbUrl: string,
  fake: FakeModelServer,
): Promise<void> {
  const pid = aos.child.pid!;
  let before = 0;
  const overhead = await runAll(aos, dbUrl, { agents: 50, goals: 500, model: FAST }, () => {
    before = cpuMs(pid);
  });
  const spent = cpuMs(pid) - before;
  console.log(
    `agent loop: engine CPU per model call ${(spent / overhead.modelCalls).toFixed(2)} ms (target ≤ 5 ms) — ` +
      `${overhead.modelCalls} model calls in 500 runs of 3 calls + 2 memory_write each, ` +
      `${(spent / 1000).toFixed(2)} s of service CPU (user + system) in ${overhead.seconds.toFixed(2)} s; ` +
      `${JSON.stringify(overhead.statuses)}`,
  );
  const bound = await runAll(aos, dbUrl, { agents: 100, goals: 400, model: SLOW }, () => {
    fake.maxInFlight = 0;
  });
  console.log(
    `agent loop: ${(400 / bound.seconds).toFixed(1)} runs/s with a 1 s model, 2 calls per run (target ≥ 25 runs/s) — ` +
      `400 runs on 100 agents in ${bound.seconds.toFixed(2)} s, at most ${fake.maxInFlight} model calls in flight; ` +
      `${JSON.stringify(bound.statuses)}`,
  );
}

/**
 * Recorded replay: 200 agent-loop runs (3 model calls and 2 memory_write each, the fake model
 * answering at once) made live, then each replayed in `recorded` mode: runs/s from the resume to
 * the last replay's completion, beside the same 200 runs made live.
 */
export async function benchReplay(aos: { url: string }, dbUrl: string): Promise<void> {
  const live = await runAll(aos, dbUrl, { agents: 20, goals: 200, model: FAST }, () => undefined);
  const originals = [...live.runs];
  const replayed = await runAll(
    aos,
    dbUrl,
    {
      agents: 20,
      goals: originals.length,
      model: FAST,
      reuse: [...new Set(originals.map((r) => r.agent))],
      submit: async (agent, i) => {
        const original = originals.filter((r) => r.agent === agent)[Math.floor(i / 20)];
        const { run_id } = await api<{ run_id: string }>(
          aos.url,
          'POST',
          `/agents/${agent}/runs/${original.id}/replay`,
          { mode: 'recorded' },
        );
        return run_id;
      },
    },
    () => undefined,
  );
  const rate = originals.length / replayed.seconds;
  console.log(
    `replay: ${rate.toFixed(1)} recorded replays/s — 200 agent-loop runs (3 model calls + 2 memory_write each) ` +
      `in ${replayed.seconds.toFixed(2)} s, ${replayed.modelCalls} model calls made; the same runs live: ` +
      `${(originals.length / live.seconds).toFixed(1)} runs/s (replay ÷ live ${(rate / (originals.length / live.seconds)).toFixed(2)}); ` +
      `${JSON.stringify(replayed.statuses)}`,
  );
}
