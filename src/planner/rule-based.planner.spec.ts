import { extractUrls, RuleBasedPlanner } from './rule-based.planner';
import type { SkillManifest } from '../skills/skill';

const skills = [{ skill_id: 'memory_write' }, { skill_id: 'http_call' }] as SkillManifest[];
const context = { agentId: 'a', runId: 'r', skills };

describe('RuleBasedPlanner', () => {
  const planner = new RuleBasedPlanner();

  it('remembers a goal without URLs and plans nothing else', async () => {
    await expect(planner.plan('think about lunch', context)).resolves.toEqual({
      planner: 'rule-based@1',
      steps: [{ skill: 'memory_write', input: { memory_type: 'user_input', text: 'think about lunch' } }],
    });
  });

  it('plans one GET per distinct URL, in order, at most five', async () => {
    const goal =
      'read https://a.example/x, then http://b.example/y. Also https://a.example/x again and ' +
      'https://c.example https://d.example https://e.example https://f.example';
    const plan = await planner.plan(goal, context);
    expect(plan.steps.slice(1).map((s) => s.input.url)).toEqual([
      'https://a.example/x',
      'http://b.example/y',
      'https://c.example/',
      'https://d.example/',
      'https://e.example/',
    ]);
    expect(plan.steps.slice(1).every((s) => s.skill === 'http_call' && s.input.method === 'GET')).toBe(true);
  });

  it('ignores other schemes', () => {
    expect(extractUrls('ftp://x.example file:///etc/passwd javascript:alert(1)')).toEqual([]);
  });
});
