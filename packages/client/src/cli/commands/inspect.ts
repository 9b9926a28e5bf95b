import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { clip, colourStatus, formatCalls, formatFields, formatTable, inline } from '../format.js';

export function registerProvenance(program: Command): void {
  program
    .command('provenance <agent> <run>')
    .description("a run's audit trail: plan, model calls and every tool call")
    .action(async (agentId: string, runId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const record = await client.getProvenance(agentId, runId);
      if (out.json) return out.data(record);
      const c = out.colors;
      out.lines(
        formatFields(
          [
            ['run', record.id],
            ['status', colourStatus(record.status, c)],
            ['goal', record.goal],
            ['planner', record.planner],
            ['created', record.created_at],
            ['completed', record.completed_at],
            ['error', record.error_message ? c.red(record.error_message) : null],
          ],
          c,
        ),
      );
      if (record.plan && record.plan.length > 0) {
        out.lines([
          '',
          c.bold('plan'),
          ...record.plan.map((s, i) => `  ${i}  ${c.cyan(s.skill)} ${inline(s.input, 100)}`),
        ]);
      }
      out.lines(formatCalls(record.model_calls, record.tool_calls, c));
    });
}

export function registerSkills(program: Command): void {
  const skills = program.command('skills').description('the skills this server can run');

  skills
    .command('list')
    .description('every skill with its side effects')
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const list = await client.listSkills();
      if (out.json) return out.data(list);
      out.lines(
        formatTable(
          ['skill', 'version', 'side effects', 'description'],
          list.items.map((s) => [out.colors.cyan(s.skill_id), s.version, s.side_effects, clip(s.description, 100)]),
          out.colors,
        ),
      );
    });

  skills
    .command('show <skill>')
    .description('one manifest, with its input and output schemas')
    .action(async (skillId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const skill = await client.getSkill(skillId);
      if (out.json) return out.data(skill);
      out.lines(
        formatFields(
          [
            ['skill', skill.skill_id],
            ['version', skill.version],
            ['description', skill.description],
            ['side effects', skill.side_effects],
            ['capabilities', skill.capabilities.join(', ')],
            ['connection', skill.connection_kind],
            ['input', JSON.stringify(skill.input_schema)],
            ['output', JSON.stringify(skill.output_schema)],
          ],
          out.colors,
        ),
      );
    });
}
