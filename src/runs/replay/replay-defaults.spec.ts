import type { HttpService } from '@nestjs/axios';
import axios from 'axios';
import type { AppConfig } from '../../config/app-config';
import type { MetricsService } from '../../metrics/metrics.service';
import { CalendarListEventsSkill } from '../../skills/calendar-list-events/calendar-list-events.skill';
import { EmailSearchSkill } from '../../skills/email-search/email-search.skill';
import { HttpCallSkill } from '../../skills/http-call/http-call.skill';
import { MemoryRecallSkill } from '../../skills/memory-recall/memory-recall.skill';
import type { Skill } from '../../skills/skill';
import { SkillRegistry } from '../../skills/skill-registry';
import { nextAction } from '../drivers/next-action';
import { toolCallDivergence } from './replay';

const metrics = { counter: () => ({ inc: () => undefined }) } as unknown as MetricsService;
const config = {
  http: { allowHosts: [], retries: 0 },
  connections: { allowHosts: [], timeoutMs: 1_000 },
} as unknown as AppConfig;

/** Every built-in skill whose input schema has defaults, with a call a model makes leaving them out. */
const cases: [Skill, Record<string, unknown>, Record<string, unknown>][] = [
  [new CalendarListEventsSkill(config), { connection: 'cal' }, { limit: 50 }],
  [new EmailSearchSkill(config), { connection: 'mail' }, { limit: 10 }],
  [
    new HttpCallSkill({ axiosRef: axios.create() } as unknown as HttpService, config, metrics),
    { url: 'https://example.com/' },
    { method: 'GET' },
  ],
  [new MemoryRecallSkill(), { query: 'invoices' }, { limit: 5 }],
];

describe('a replay compares normalised inputs (schema defaults filled in on both sides)', () => {
  const registry = new SkillRegistry(cases.map(([skill]) => skill));

  it.each(cases.map(([skill, asked, defaults]) => [skill.manifest.skill_id, asked, defaults] as const))(
    '%s: the model leaving out %j matches the recorded call that ran with its defaults',
    (skill, asked, defaults) => {
      // What the original run recorded: the input as the skill ran it.
      const recorded = registry.normalisedInput(skill, asked) as Record<string, unknown>;
      expect(recorded).toMatchObject(defaults);
      // Compared raw, the two differ (the bug this guards against) …
      expect(toolCallDivergence(1, { skillId: skill, input: recorded }, { skill, input: asked })).toBeDefined();
      // … compared as the drivers do, normalised on both sides, they are the same call.
      const action = nextAction({
        at: 'tool_call',
        driver: 'model',
        step: 1,
        asked: { skill, input: registry.normalisedInput(skill, asked), toolUseId: 'tu_1' },
        idempotent: true,
        replayed: {
          original: { skill, input: registry.normalisedInput(skill, recorded) },
          followsOriginalPlan: false,
        },
      });
      expect(action).toEqual({ do: 'make_call' });
    },
  );

  it('still reports a real difference', () => {
    const recorded = registry.normalisedInput('memory_recall', { query: 'invoices' });
    expect(
      nextAction({
        at: 'tool_call',
        driver: 'model',
        step: 1,
        asked: {
          skill: 'memory_recall',
          input: registry.normalisedInput('memory_recall', { query: 'invoices', limit: 9 }),
        },
        idempotent: true,
        replayed: { original: { skill: 'memory_recall', input: recorded }, followsOriginalPlan: false },
      }),
    ).toMatchObject({ do: 'diverged' });
  });
});
