import { CoalescedTask } from './coalesced-task';

describe('CoalescedTask', () => {
  it('runs once more after the run in progress, however many kicks arrived meanwhile', async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const task = new CoalescedTask(
      () =>
        new Promise<void>((resolve) => {
          runs++;
          release = resolve;
        }),
      () => undefined,
    );
    task.kick();
    task.kick();
    task.kick();
    expect(runs).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
    release();
    await new Promise((r) => setImmediate(r));
    expect(runs).toBe(2);
  });

  it('reports a failed run and still runs on the next kick; none after stop', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const task = new CoalescedTask(
      async () => {
        runs++;
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    task.kick();
    await task.stop();
    expect(errors).toHaveLength(1);
    task.kick();
    expect(runs).toBe(1);
  });
});

describe('CoalescedTask with a minimum interval', () => {
  it('runs a first kick at once, then gathers the kicks of the interval into one later run', async () => {
    const starts: number[] = [];
    const task = new CoalescedTask(
      async () => {
        starts.push(performance.now());
      },
      () => undefined,
      40,
    );
    const t0 = performance.now();
    task.kick();
    expect(starts).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 5));
    task.kick();
    task.kick();
    expect(starts).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 60));
    expect(starts).toHaveLength(2);
    expect(starts[1] - t0).toBeGreaterThanOrEqual(39);
    await task.stop();
  });

  it('stop cancels a delayed run', async () => {
    let runs = 0;
    const task = new CoalescedTask(
      async () => {
        runs++;
      },
      () => undefined,
      30,
    );
    task.kick();
    await new Promise((r) => setImmediate(r));
    task.kick();
    await task.stop();
    await new Promise((r) => setTimeout(r, 50));
    expect(runs).toBe(1);
  });
});
