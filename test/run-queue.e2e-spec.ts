import { RunQueue } from '../src/runs/queue/run-queue';
import { startTestApp, TestApp } from './support/test-app';

// The cheap checks the worker's periodic poll makes before it opens a claim or reclaim
// transaction: they must say yes exactly when that transaction could find something.
describe('run queue probes', () => {
  let t: TestApp;
  let queue: RunQueue;

  beforeAll(async () => {
    // No worker: the test moves runs between states itself.
    t = await startTestApp({ AOS_WORKER_CONCURRENCY: '0' });
    queue = t.server.app.get(RunQueue);
  });
  afterAll(async () => {
    await t.close();
  });

  it('hasReadyRuns: only a pending run that is due and whose agent is active', async () => {
    const agentId = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'probe' } })).json<{
      id: string;
    }>().id;
    expect(await queue.hasReadyRuns()).toBe(false);

    const runId = (
      await t.request({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal: 'remember this' } })
    ).json<{ run_id: string }>().run_id;
    expect(await queue.hasReadyRuns()).toBe(true);

    // A retry waiting for its backoff is not ready yet.
    await t.dataSource.query(`UPDATE runs SET available_at = now() + interval '1 hour' WHERE id = $1`, [runId]);
    expect(await queue.hasReadyRuns()).toBe(false);
    await t.dataSource.query(`UPDATE runs SET available_at = now() WHERE id = $1`, [runId]);
    expect(await queue.hasReadyRuns()).toBe(true);

    await t.request({ method: 'POST', url: `/agents/${agentId}/pause` });
    expect(await queue.hasReadyRuns()).toBe(false);
    await t.request({ method: 'POST', url: `/agents/${agentId}/resume` });
    expect(await queue.hasReadyRuns()).toBe(true);

    const claimed = await queue.claim('probe-owner', 60_000, 10);
    expect(claimed.map((r) => r.id)).toEqual([runId]);
    expect(await queue.hasReadyRuns()).toBe(false);

    // Running under a live lease: nothing to reclaim; once the lease lapses, there is.
    expect(await queue.hasExpiredLeases()).toBe(false);
    await t.dataSource.query(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [runId]);
    expect(await queue.hasExpiredLeases()).toBe(true);
    expect(await queue.reclaimExpired()).toBe(1);
    expect(await queue.hasExpiredLeases()).toBe(false);
    expect(await queue.hasReadyRuns()).toBe(true);
  });

  async function agentWith(maxConcurrentRuns: number, goals: number, priority = 5): Promise<string[]> {
    const agentId = (
      await t.request({
        method: 'POST',
        url: '/agents',
        payload: { name: 'batch', max_concurrent_runs: maxConcurrentRuns },
      })
    ).json<{ id: string }>().id;
    const ids: string[] = [];
    for (let i = 0; i < goals; i++) {
      const res = await t.request({
        method: 'POST',
        url: `/agents/${agentId}/goals`,
        payload: { goal: `g${i}`, priority },
      });
      ids.push(res.json<{ run_id: string }>().run_id);
    }
    return ids;
  }

  async function runningPerAgent(): Promise<Record<string, number>> {
    const rows = await t.dataSource.query<{ agent_id: string; n: number }[]>(
      `SELECT agent_id, count(*)::int AS n FROM runs WHERE status = 'running' GROUP BY agent_id`,
    );
    return Object.fromEntries(rows.map((r) => [r.agent_id, r.n]));
  }

  it('claims many runs in one call, in priority order, never more per agent than it allows', async () => {
    await t.dataSource.query(`UPDATE runs SET status = 'cancelled' WHERE status IN ('pending', 'running')`);
    const low = await agentWith(3, 5, 1);
    const high = await agentWith(2, 4, 9);
    const single = await agentWith(1, 3, 5);

    const claimed = await queue.claim('batch-owner', 60_000, 100);
    const ids = claimed.map((r) => r.id);
    expect(ids).toEqual([...high.slice(0, 2), single[0], ...low.slice(0, 3)]);
    expect(claimed.every((r) => r.attempts === 1 && r.waited_ms >= 0)).toBe(true);
    const statuses = await t.dataSource.query<{ status: string }[]>(
      'SELECT DISTINCT status FROM runs WHERE id = ANY($1::uuid[])',
      [ids],
    );
    expect(statuses).toEqual([{ status: 'running' }]);
    // Everything runnable is taken.
    expect(await queue.claim('batch-owner', 60_000, 100)).toEqual([]);
  });

  it('two instances claiming at once never exceed an agent’s limit', async () => {
    await t.dataSource.query(`UPDATE runs SET status = 'cancelled' WHERE status IN ('pending', 'running')`);
    for (let i = 0; i < 10; i++) await agentWith(2, 6);
    const batches = await Promise.all(['a', 'b', 'c', 'a2', 'b2', 'c2'].map((owner) => queue.claim(owner, 60_000, 7)));
    const all = batches.flat().map((r) => r.id);
    expect(new Set(all).size).toBe(all.length);
    const running = await runningPerAgent();
    expect(Object.values(running).every((n) => n <= 2)).toBe(true);
    // Whatever the interleaving, a second round fills every free slot.
    await Promise.all(['a', 'b'].map((owner) => queue.claim(owner, 60_000, 100)));
    expect(Object.values(await runningPerAgent())).toEqual(Array(10).fill(2));
  });
});
