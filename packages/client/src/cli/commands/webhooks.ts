import type { Command } from 'commander';
import { commaList, wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { formatFields, formatTable } from '../format.js';

export function registerWebhooks(program: Command): void {
  const webhooks = program.command('webhooks').description("an agent's webhooks (signed POSTs per event)");

  webhooks
    .command('list <agent>')
    .description("an agent's webhooks")
    .option('--limit <n>', 'how many (1-100)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)')
    .action(async (agentId: string, options: { limit?: number; cursor?: string }, command: Command) => {
      const { client, out } = contextOf(command);
      const page = await client.listWebhooks(agentId, options);
      if (out.json) return out.data(page);
      const c = out.colors;
      out.lines(
        formatTable(
          ['id', 'url', 'events', 'enabled', 'created'],
          page.items.map((w) => [
            w.id,
            w.url,
            w.events ? w.events.join(',') : 'all',
            w.enabled ? c.green('yes') : c.yellow(`no${w.disabled_reason ? ` (${w.disabled_reason})` : ''}`),
            w.created_at,
          ]),
          c,
        ),
      );
      if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
    });

  webhooks
    .command('create <agent> <url>')
    .description('register a webhook; prints its signing secret once')
    .option('--events <types>', 'comma-separated event types or prefixes (run.*); default: every event', commaList)
    .option('--description <text>', 'what it is for')
    .action(
      async (agentId: string, url: string, options: { events?: string[]; description?: string }, command: Command) => {
        const { client, out } = contextOf(command);
        const created = await client.createWebhook(agentId, { url, ...options });
        if (out.json) return out.data(created);
        out.lines(
          formatFields(
            [
              ['id', created.id],
              ['url', created.url],
              ['events', created.events ? created.events.join(',') : 'all'],
              ['secret', out.colors.bold(created.secret)],
            ],
            out.colors,
          ),
        );
        out.note(out.stderrColors.yellow('store the secret now: it is not shown again'));
      },
    );

  webhooks
    .command('delete <agent> <webhook>')
    .description('delete a webhook')
    .action(async (agentId: string, webhookId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      await client.deleteWebhook(agentId, webhookId);
      if (out.json) out.data({ deleted: webhookId });
      else out.line(`deleted webhook ${webhookId}`);
    });
}
