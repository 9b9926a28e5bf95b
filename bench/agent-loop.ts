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
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { FakeModelServer, Turn } from '../test/support/fake-models';
import { api, sleep, withClient } from './support';

const FAST = 'bench-fast';
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
    if ((body as { model: string }).model === SLOW) {
      return turn === 0 ? { ...write(0), delayMs: 1_000 } : { text: 'done slowly', delayMs: 1_000 };
    }
    return turn < 2 ? write(turn) : { text: 'done', inputTokens: 900, outputTokens: 10 };
  };
  return fake;
}

function cpuMs(pid: number, ticksPerSecond: number): number {
  // /proc/<pid>/stat: after the command in parentheses, utime and stime are fields 14 and 15.
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond;
}

async function runAll(
  aos: { url: string },
  dbUrl: string,
  options: { agents: number; goals: number; model: string },
  duringResume: () => void,
): Promise<{ seconds: number; statuses: Record<string, number>; modelCalls: number }> {
  const agents: string[] = [];
  for (let i = 0; i < options.agents; i++) {
    const { id } = await api<{ id: string }>(aos.url, 'POST', '/agents', {
      name: `loop-${i}`,
      planner: 'llm',
      models: { anthropic: options.model },
    });
    await api(aos.url, 'POST', `/agents/${id}/pause`);
    agents.push(id);
  }
  const runIds: string[] = [];
  for (let i = 0; i < options.goals; i += 16) {
    const batch = Array.from({ length: Math.min(16, options.goals - i) }, (_, j) =>
      api<{ run_id: string }>(aos.url, 'POST', `/agents/${agents[(i + j) % agents.length]}/goals`, {
        goal: `benchmark goal ${i + j}`,
      }),
    );
    runIds.push(...(await Promise.all(batch)).map((r) => r.run_id));
  }
  duringResume();
  const started = Date.now();
  await Promise.all(agents.map((id) => api(aos.url, 'POST', `/agents/${id}/resume`)));
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
  const ticks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  const pid = aos.child.pid!;
  let before = 0;
  const overhead = await runAll(aos, dbUrl, { agents: 50, goals: 500, model: FAST }, () => {
    before = cpuMs(pid, ticks);
  });
  const spent = cpuMs(pid, ticks) - before;
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
