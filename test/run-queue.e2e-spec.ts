import { RunQueue } from '../src/runs/run-queue';
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

    const claimed = await queue.claim('probe-owner', 60_000);
    expect(claimed?.id).toBe(runId);
    expect(await queue.hasReadyRuns()).toBe(false);

    // Running under a live lease: nothing to reclaim; once the lease lapses, there is.
    expect(await queue.hasExpiredLeases()).toBe(false);
    await t.dataSource.query(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [runId]);
    expect(await queue.hasExpiredLeases()).toBe(true);
    expect(await queue.reclaimExpired()).toBe(1);
    expect(await queue.hasExpiredLeases()).toBe(false);
    expect(await queue.hasReadyRuns()).toBe(true);
  });
});
