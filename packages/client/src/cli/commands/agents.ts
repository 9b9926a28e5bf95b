import { type Command, Option } from 'commander';
import type { AgentModels, CreateAgent } from '../../types.js';
import { commaList, wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { colourStatus, formatAgent, formatTable } from '../format.js';

interface SettingOptions {
  planner?: CreateAgent['planner'];
  instructions?: string;
  anthropicModel?: string;
  openaiModel?: string;
  skills?: string[];
  maxSteps?: number;
  maxConcurrentRuns?: number;
  approval?: CreateAgent['approval'];
}

function addSettingOptions(command: Command): Command {
  return command
    .addOption(new Option('--planner <planner>', 'how goals are planned').choices(['llm', 'rule-based']))
    .option('--instructions <text>', 'system prompt of its model-driven runs')
    .option('--anthropic-model <model>', 'Anthropic model for this agent')
    .option('--openai-model <model>', 'OpenAI (or compatible) model for this agent')
    .option('--skills <ids>', 'comma-separated skill allow-list ("all": every skill)', commaList)
    .option('--max-steps <n>', 'model calls a run may make', wholeNumber(1, 100))
    .option('--max-concurrent-runs <n>', 'runs of this agent at once', wholeNumber(1, 100))
    .addOption(
      new Option('--approval <policy>', 'which tool calls wait for a person').choices([
        'none',
        'side_effects',
        'always',
      ]),
    );
}

/** The options given, as the body's fields; options not given stay out of the body. */
function settings(options: SettingOptions): Partial<CreateAgent> {
  const models: AgentModels = {
    ...(options.anthropicModel ? { anthropic: options.anthropicModel } : {}),
    ...(options.openaiModel ? { openai: options.openaiModel } : {}),
  };
  const allSkills = options.skills?.length === 1 && options.skills[0] === 'all';
  return {
    ...(options.planner ? { planner: options.planner } : {}),
    ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
    ...(Object.keys(models).length > 0 ? { models } : {}),
    ...(options.skills ? { skills: allSkills ? null : options.skills } : {}),
    ...(options.maxSteps !== undefined ? { max_steps: options.maxSteps } : {}),
    ...(options.maxConcurrentRuns !== undefined ? { max_concurrent_runs: options.maxConcurrentRuns } : {}),
    ...(options.approval ? { approval: options.approval } : {}),
  };
}

export function registerAgents(program: Command): void {
  const agents = program.command('agents').description('create, list, show, change and remove agents');

  addSettingOptions(agents.command('create <name>').description('create an agent')).action(
    async (name: string, options: SettingOptions, command: Command) => {
      const { client, out } = contextOf(command);
      const agent = await client.createAgent({ name, ...settings(options) });
      if (out.json) out.data(agent);
      else out.lines(formatAgent(agent, out.colors));
    },
  );

  agents
    .command('list')
    .description('list agents, newest first')
    .addOption(new Option('--status <status>', 'only agents in this status').choices(['active', 'paused', 'stopped']))
    .option('--limit <n>', 'how many (1-100)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)')
    .action(async (options: { status?: 'active'; limit?: number; cursor?: string }, command: Command) => {
      const { client, out } = contextOf(command);
      const page = await client.listAgents(options);
      if (out.json) return out.data(page);
      const c = out.colors;
      out.lines(
        formatTable(
          ['id', 'name', 'status', 'planner', 'approval', 'created'],
          page.items.map((a) => [a.id, a.name, colourStatus(a.status, c), a.planner, a.approval, a.created_at]),
          c,
        ),
      );
      if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
    });

  agents
    .command('show <agent>')
    .description('one agent with its settings and usage')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const agent = await client.getAgent(id);
      if (out.json) out.data(agent);
      else out.lines(formatAgent(agent, out.colors));
    });

  addSettingOptions(
    agents
      .command('update <agent>')
      .description('change an agent (only the options given)')
      .option('--name <name>', 'new name'),
  ).action(async (id: string, options: SettingOptions & { name?: string }, command: Command) => {
    const { client, out } = contextOf(command);
    const agent = await client.updateAgent(id, {
      ...(options.name ? { name: options.name } : {}),
      ...settings(options),
    });
    if (out.json) out.data(agent);
    else out.lines(formatAgent(agent, out.colors));
  });

  const transitions = [
    ['pause', 'pause an agent: its goals wait as pending', 'pauseAgent'],
    ['resume', 'resume a paused agent', 'resumeAgent'],
    ['stop', 'stop an agent for good: its runs are cancelled', 'stopAgent'],
  ] as const;
  for (const [name, description, method] of transitions) {
    agents
      .command(`${name} <agent>`)
      .description(description)
      .action(async (id: string, _options: unknown, command: Command) => {
        const { client, out } = contextOf(command);
        const agent = await client[method](id);
        if (out.json) out.data(agent);
        else out.line(`agent ${agent.id} is ${colourStatus(agent.status, out.colors)}`);
      });
  }

  agents
    .command('delete <agent>')
    .description('delete an agent with its runs and memories')
    .action(async (id: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      await client.deleteAgent(id);
      if (out.json) out.data({ deleted: id });
      else out.line(`deleted agent ${id}`);
    });
}
