import { type Command, Option } from 'commander';
import type { CreateMemory, Memory } from '../../types.js';
import { jsonObject, wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { clip, formatFields, formatTable } from '../format.js';

const MEMORY_TYPES = ['skill_result', 'user_input', 'system', 'context', 'run_result'];

export function registerMemory(program: Command): void {
  const memory = program.command('memory').description("add to, search and prune an agent's memory");

  memory
    .command('add <agent> <text>')
    .description('store a memory')
    .addOption(new Option('--type <type>', 'memory type').choices(['context', 'user_input']).default('context'))
    .option('--meta <json>', 'a JSON object stored with it', jsonObject)
    .action(
      async (
        agentId: string,
        text: string,
        options: { type: CreateMemory['memory_type']; meta?: Record<string, unknown> },
        command: Command,
      ) => {
        const { client, out } = contextOf(command);
        const stored = await client.addMemory(agentId, { memory_type: options.type, text, meta: options.meta });
        if (out.json) out.data(stored);
        else
          out.lines(
            formatFields(
              [
                ['id', stored.id],
                ['type', stored.memory_type],
                ['created', stored.created_at],
              ],
              out.colors,
            ),
          );
      },
    );

  memory
    .command('recall <agent> [query]')
    .description('memories, best match first with a query, else newest first')
    .addOption(new Option('--type <type>', 'only this memory type').choices(MEMORY_TYPES))
    .option('--since <time>', 'created at or after (ISO 8601)')
    .option('--until <time>', 'created before (ISO 8601)')
    .option('--limit <n>', 'how many (1-100)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)')
    .action(
      async (
        agentId: string,
        query: string | undefined,
        options: { type?: Memory['memory_type']; since?: string; until?: string; limit?: number; cursor?: string },
        command: Command,
      ) => {
        const { client, out } = contextOf(command);
        const page = await client.recall(agentId, {
          query,
          memory_type: options.type,
          since: options.since,
          until: options.until,
          limit: options.limit,
          cursor: options.cursor,
        });
        if (out.json) return out.data(page);
        const c = out.colors;
        out.lines(
          formatTable(
            ['id', 'type', 'rank', 'created', 'text'],
            page.items.map((m) => [
              m.id,
              m.memory_type,
              m.rank === undefined ? '' : m.rank.toFixed(3),
              m.created_at,
              clip(m.text, 80),
            ]),
            c,
          ),
        );
        if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
      },
    );

  memory
    .command('delete <agent> <memory>')
    .description('delete a memory')
    .action(async (agentId: string, memoryId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      await client.deleteMemory(agentId, memoryId);
      if (out.json) out.data({ deleted: memoryId });
      else out.line(`deleted memory ${memoryId}`);
    });
}
