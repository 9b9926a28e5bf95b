import { canTransition } from './agent-lifecycle';
import { AgentStatus } from './agent-status.enum';

const { Active, Paused, Stopped } = AgentStatus;

describe('agent status transitions', () => {
  it.each([
    [Active, Paused, true],
    [Active, Stopped, true],
    [Paused, Active, true],
    [Paused, Stopped, true],
    [Stopped, Active, true],
    [Stopped, Paused, false],
    [Active, Active, true],
    [Paused, Paused, true],
    [Stopped, Stopped, true],
  ])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});
