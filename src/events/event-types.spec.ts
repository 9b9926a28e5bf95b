import { matchesType, typePatternProblem } from './event-types';

describe('event type filters', () => {
  it.each([
    ['run.completed', ['run.*'], true],
    ['run.step.started', ['run.*'], true],
    ['run.step.started', ['run.step.*'], true],
    ['agent.created', ['run.*'], false],
    ['agent.created', ['agent.created'], true],
    ['agent.created', ['agent.create'], false],
    ['memory.deleted', [], true],
    ['memory.deleted', ['*'], true],
    ['runner.x', ['run.*'], false],
  ])('%s against %j: %s', (type, patterns, expected) => {
    expect(matchesType(type, patterns)).toBe(expected);
  });

  it('accepts exact types and prefixes, refuses anything else', () => {
    expect(typePatternProblem('run.*')).toBeUndefined();
    expect(typePatternProblem('run.step.*')).toBeUndefined();
    expect(typePatternProblem('run.completed')).toBeUndefined();
    expect(typePatternProblem('run.done')).toMatch(/unknown event type/);
    expect(typePatternProblem('robot.*')).toMatch(/no event type starts with robot\./);
    expect(typePatternProblem('run%')).toMatch(/not an event type/);
    expect(typePatternProblem("run.*' OR 1=1")).toMatch(/not an event type/);
  });
});
