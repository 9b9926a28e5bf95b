import { RunWriter } from '../../src/run-record/run-writer';
import { activeRun } from '../../src/runs/drivers/run-driver';
import { Engine, startEngine } from './support/engine';

describe('RunWriter: deferred work commits with the next write that commits', () => {
  let e: Engine;
  beforeAll(async () => {
    e = await startEngine();
  });
  afterAll(async () => {
    await e.close();
  });

  it('a write that rolls back leaves the deferred work queued for the next one', async () => {
    const writer = e.module.get(RunWriter);
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
