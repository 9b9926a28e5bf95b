import { RunStatus } from '../../src/run-record/run-status.enum';
import { Engine, startEngine } from './support/engine';

describe('the run queue, on a real PostgreSQL', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await startEngine({ AOS_RUN_MAX_ATTEMPTS: '2' });
  });
  afterAll(async () => {
    await e.close();
  });
  beforeEach(async () => {
    // Each test sees only its own runs.
    await e.dataSource.query(`UPDATE runs SET status = 'cancelled' WHERE status IN ('pending', 'running')`);
  });

  const row = async (runId: string) =>
    (
      await e.dataSource.query<
        { status: string; attempts: number; lease_owner: string | null; lease_epoch: string; error_message: string }[]
      >('SELECT status, attempts, lease_owner, lease_epoch, error_message FROM runs WHERE id = $1', [runId])
    )[0];
  const expire = (runId: string) =>
    e.dataSource.query(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [runId]);
  const events = async (runId: string) =>
    (
      await e.dataSource.query<{ type: string }[]>('SELECT type FROM events WHERE run_id = $1 ORDER BY pk', [runId])
    ).map((x) => x.type);

  it('claims under a new fencing token, with the settings frozen in and the agent’s policy', async () => {
    const agent = await e.agent({ approval: 'always' });
    const runId = await e.goal(agent);
    const [claimed] = await e.claim('w1');
    expect(claimed).toMatchObject({
      id: runId,
      attempts: 1,
      lease_epoch: '1',
      settings: expect.objectContaining({ planner: 'rule-based', approval: 'always' }) as unknown,
      policy: expect.objectContaining({ approval: 'always' }) as unknown,
      has_record: false,
    });
    expect(await events(runId)).toEqual(['run.created', 'run.started']);
  });

  it('never starts more of an agent’s runs than it allows', async () => {
    const agent = await e.agent();
    await e.dataSource.query('UPDATE agents SET max_concurrent_runs = 2 WHERE id = $1', [agent]);
    for (let i = 0; i < 5; i++) await e.goal(agent, `goal ${i}`);
    expect(await e.claim('w1')).toHaveLength(2);
    expect(await e.claim('w2')).toHaveLength(0);
  });

  it('a release at shutdown gives the run back without counting the attempt', async () => {
    const agent = await e.agent();
    const runId = await e.goal(agent);
    await e.claim('w1');
    await e.queue.release('w1', [runId]);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null });
    // A release by a worker that does not hold it changes nothing.
    await e.claim('w2');
    await e.queue.release('w1', [runId]);
    expect(await row(runId)).toMatchObject({ status: 'running', lease_owner: 'w2', lease_epoch: '2' });
  });

  it('a lapsed lease is reclaimed while attempts last, then the run fails saying why', async () => {
    const agent = await e.agent();
    const runId = await e.goal(agent);
    await e.claim('w1');
    await expire(runId);
    expect(await e.queue.reclaimExpired()).toBe(1);
    expect(await row(runId)).toMatchObject({ status: 'pending', attempts: 1 });
    await e.claim('w2');
    await expire(runId);
    await e.queue.reclaimExpired();
    expect(await row(runId)).toMatchObject({
      status: 'failed',
      attempts: 2,
      error_message: 'worker lost (lease expired) on each of 2 attempts',
    });
    expect(await events(runId)).toEqual(['run.created', 'run.started', 'run.retrying', 'run.started', 'run.failed']);
  });

  it('waiting for a model puts the run back until its retry time, not as a failed attempt', async () => {
    const agent = await e.agent();
    const runId = await e.goal(agent);
    const [claimed] = await e.claim('w1');
    const lease = { runId, agentId: agent, owner: 'w1', epoch: claimed.lease_epoch };
    const retryAt = new Date(Date.now() + 60_000);
    expect(await e.queue.waitForModel(lease, { retryAt, errorMessage: 'waiting for a model' })).toBe(true);
    const [waiting] = await e.dataSource.query<{ status: string; attempts: number; model_waits: number }[]>(
      'SELECT status, attempts, model_waits FROM runs WHERE id = $1',
      [runId],
    );
    expect(waiting).toEqual({ status: 'pending', attempts: 0, model_waits: 1 });
    // Not ready before its time.
    expect(await e.claim('w1')).toEqual([]);
    // A second transition with the same, spent lease is refused: the run is not running.
    expect(await e.queue.finish(lease, { status: RunStatus.Completed, errorMessage: null })).toBe(false);
  });

  it('a cancel ends a pending run at once and a running one for its worker', async () => {
    const agent = await e.agent();
    const pending = await e.goal(agent, 'never started');
    const running = await e.goal(agent, 'started');
    await e.dataSource.query('UPDATE agents SET max_concurrent_runs = 1 WHERE id = $1', [agent]);
    const [claimed] = await e.claim('w1');
    expect(claimed.id).toBe(pending);
    await e.runs.cancel(agent, pending);
    await e.runs.cancel(agent, running);
    expect((await row(pending)).status).toBe('cancelled');
    expect((await row(running)).status).toBe('cancelled');
    const lease = { runId: pending, agentId: agent, owner: 'w1', epoch: claimed.lease_epoch };
    expect(await e.queue.finish(lease, { status: RunStatus.Completed, errorMessage: null })).toBe(false);
    expect((await row(pending)).status).toBe('cancelled');
  });
});
