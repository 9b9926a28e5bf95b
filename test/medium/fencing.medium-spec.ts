import { RunWriter } from '../../src/run-record/run-writer';
import { activeRun } from '../../src/runs/drivers/run-driver';
import { RunStatus } from '../../src/run-record/run-status.enum';
import { Engine, startEngine } from './support/engine';

/** Makes worker-a's lease lapse and lets worker-b take the run over (what a stalled worker meets). */
async function loseLease(e: Engine, runId: string): Promise<void> {
  await e.dataSource.query(`UPDATE runs SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [runId]);
  expect(await e.queue.reclaimExpired()).toBe(1);
}

describe('fencing: every step write holds only while the lease does', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await startEngine();
  });
  afterAll(async () => {
    await e.close();
  });
  beforeEach(() => {
    e.skill.calls.length = 0;
    e.skill.block = false;
    e.model.requests.length = 0;
  });

  it('a worker that loses its lease mid-step writes nothing more, and the call is not made twice', async () => {
    const agent = await e.agent();
    e.planner.steps = [{ skill: 'fake_effect', input: { note: 'send once' } }];
    const runId = await e.goal(agent);
    e.skill.block = true;
    const [claimedByA] = await e.claim('worker-a');
    const a = e.executor.execute(claimedByA, 'worker-a', new AbortController().signal);
    const inFlight = await e.skill.nextCall();

    // Mid-step, worker-a's lease lapses and worker-b claims the run (a new fencing token).
    await loseLease(e, runId);
    const [claimedByB] = await e.claim('worker-b');
    expect(claimedByB.id).toBe(runId);
    expect(Number(claimedByB.lease_epoch)).toBe(Number(claimedByA.lease_epoch) + 1);

    // worker-b finds the call written ahead and interrupted: not idempotent, so not repeated.
    e.skill.block = false;
    await e.executor.execute(claimedByB, 'worker-b', new AbortController().signal);
    expect(await e.status(runId)).toBe('failed');

    // worker-a's call now returns: its completion is fenced out, nothing of it is recorded.
    inFlight.finish({ sent: true });
    await a;
    expect(e.skill.calls).toHaveLength(1);
    const calls = await e.dataSource.query<{ status: string; error: string; output: unknown }[]>(
      'SELECT status, error, output FROM tool_calls WHERE run_id = $1',
      [runId],
    );
    expect(calls).toEqual([
      {
        status: 'failed',
        error: 'step 0 (fake_effect) was interrupted and is not idempotent; it was not repeated',
        output: null,
      },
    ]);
    const events = await e.dataSource.query<{ type: string }[]>(
      `SELECT type FROM events WHERE run_id = $1 AND type = 'run.step.completed'`,
      [runId],
    );
    expect(events).toHaveLength(1);
    expect(await e.status(runId)).toBe('failed');
  });

  it('a step whose write-ahead matches no row is not executed', async () => {
    const agent = await e.agent();
    e.planner.steps = [{ skill: 'fake_effect', input: { note: 'never from a' } }];
    const runId = await e.goal(agent);
    const [claimedByA] = await e.claim('worker-a');
    // Before worker-a starts, its lease is gone and worker-b holds the run.
    await loseLease(e, runId);
    const [claimedByB] = await e.claim('worker-b');

    await e.executor.execute(claimedByA, 'worker-a', new AbortController().signal);
    expect(e.skill.calls).toHaveLength(0);
    expect(await e.dataSource.query('SELECT 1 FROM tool_calls WHERE run_id = $1', [runId])).toEqual([]);

    await e.executor.execute(claimedByB, 'worker-b', new AbortController().signal);
    expect(e.skill.calls).toHaveLength(1);
    expect(await e.status(runId)).toBe('completed');
  });

  it('a model call is not asked for by a worker that lost the run, nor its answer recorded', async () => {
    const agent = await e.agent({ planner: 'llm' });
    e.model.script = [{ text: 'the answer' }];
    const runId = await e.goal(agent);
    const [claimedByA] = await e.claim('worker-a');
    await loseLease(e, runId);
    const [claimedByB] = await e.claim('worker-b');

    await e.executor.execute(claimedByA, 'worker-a', new AbortController().signal);
    expect(e.model.requests).toHaveLength(0);
    expect(await e.dataSource.query('SELECT 1 FROM model_calls WHERE run_id = $1', [runId])).toEqual([]);

    await e.executor.execute(claimedByB, 'worker-b', new AbortController().signal);
    expect(e.model.requests).toHaveLength(1);
    const [run] = await e.dataSource.query<{ status: string; result: string; model_calls: number }[]>(
      'SELECT status, result, model_calls FROM runs WHERE id = $1',
      [runId],
    );
    expect(run).toEqual({ status: 'completed', result: 'the answer', model_calls: 1 });
  });

  it('a finish by a worker that lost the run changes nothing', async () => {
    const agent = await e.agent();
    e.planner.steps = [];
    const runId = await e.goal(agent);
    const [claimedByA] = await e.claim('worker-a');
    await loseLease(e, runId);
    const [claimedByB] = await e.claim('worker-b');
    const lease = (c: typeof claimedByA, owner: string) => ({
      runId,
      agentId: agent,
      owner,
      epoch: c.lease_epoch,
    });
    const done = { status: RunStatus.Completed, errorMessage: null };
    expect(await e.queue.finish(lease(claimedByA, 'worker-a'), done)).toBe(false);
    expect(await e.status(runId)).toBe('running');
    // Same owner name, older claim: still fenced out by the token.
    expect(await e.queue.finish(lease(claimedByA, 'worker-b'), done)).toBe(false);
    expect(await e.queue.finish(lease(claimedByB, 'worker-b'), done)).toBe(true);
    expect(await e.status(runId)).toBe('completed');
  });

  it('deferred work commits with the next write that commits: a rolled-back write leaves it queued', async () => {
    const writer = e.inDefault(e.module.get(RunWriter));
    const agent = await e.agent();
    const runId = await e.goal(agent);
    const [claimed] = await e.claim('worker-a');
    const { lease } = activeRun(claimed, 'worker-a', new AbortController().signal);
    const plan = { planner: 'scripted', steps: [] };
    let ran = 0;
    writer.defer(lease, async (w) => {
      ran++;
      await w.m.query('UPDATE runs SET plan = $2 WHERE id = $1', [runId, JSON.stringify(plan)]);
    });

    // The first write carrying it fails after the deferred work ran: all of it rolls back …
    await expect(writer.step(lease, () => Promise.reject(new Error('the step failed')))).rejects.toThrow(
      'the step failed',
    );
    const planOf = async () =>
      (await e.dataSource.query<{ plan: unknown }[]>('SELECT plan FROM runs WHERE id = $1', [runId]))[0].plan;
    expect(await planOf()).toBeNull();
    expect(ran).toBe(1);

    // … and the next write commits it, once.
    await writer.settle(lease);
    expect(await planOf()).toEqual(plan);
    expect(ran).toBe(2);
    await writer.step(lease, () => Promise.resolve());
    expect(ran).toBe(2);
  });
});
