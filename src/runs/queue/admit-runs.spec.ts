import { admitRuns } from './admit-runs';

const run = (
  id: string,
  agent: string,
  max_running = 1,
  running = 0,
  tenant = { id: 't', max: null as number | null, running: 0 },
) => ({
  id,
  agent_id: agent,
  max_running,
  running,
  tenant_id: tenant.id,
  tenant_max_running: tenant.max,
  tenant_running: tenant.running,
});

describe('admitRuns', () => {
  it('takes runs in queue order up to the limit', () => {
    expect(admitRuns([run('1', 'a'), run('2', 'b'), run('3', 'c')], 2).map((r) => r.id)).toEqual(['1', '2']);
  });

  it('gives an agent no more than its free slots, and skips to other agents', () => {
    const candidates = [run('1', 'a', 2), run('2', 'a', 2), run('3', 'a', 2), run('4', 'b', 3, 2), run('5', 'b', 3, 2)];
    expect(admitRuns(candidates, 10).map((r) => r.id)).toEqual(['1', '2', '4']);
  });

  it('admits nothing for an agent already at its limit', () => {
    expect(admitRuns([run('1', 'a', 1, 1), run('2', 'b')], 10).map((r) => r.id)).toEqual(['2']);
  });

  it("holds a tenant to its runs_in_flight over all its agents, and leaves other tenants' runs alone", () => {
    const limited = { id: 'x', max: 3, running: 1 };
    const candidates = [
      run('1', 'a', 5, 0, limited),
      run('2', 'b', 5, 0, limited),
      run('3', 'c', 5, 0, limited),
      run('4', 'd', 5, 0, { id: 'y', max: null, running: 0 }),
    ];
    expect(admitRuns(candidates, 10).map((r) => r.id)).toEqual(['1', '2', '4']);
    expect(admitRuns([run('1', 'a', 5, 0, { id: 'x', max: 0, running: 0 })], 10)).toEqual([]);
  });
});
