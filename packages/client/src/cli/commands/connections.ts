import { type Command, Option } from 'commander';
import type { CreateConnection } from '../../types.js';
import { jsonObject, wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { ExitCode } from '../exit-codes.js';
import { formatFields, formatTable, inline } from '../format.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

export function registerConnections(program: Command): void {
  const connections = program
    .command('connections')
    .description("an agent's connections to mail, calendars and HTTP APIs (secrets are never shown)");

  connections
    .command('list <agent>')
    .description("an agent's connections")
    .option('--limit <n>', 'how many (1-100)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)')
    .action(async (agentId: string, options: { limit?: number; cursor?: string }, command: Command) => {
      const { client, out } = contextOf(command);
      const page = await client.listConnections(agentId, options);
      if (out.json) return out.data(page);
      out.lines(
        formatTable(
          ['id', 'name', 'kind', 'secret', 'settings'],
          page.items.map((k) => [k.id, k.name, k.kind, k.has_secret ? 'yes' : 'no', inline(k.settings, 80)]),
          out.colors,
        ),
      );
      if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
    });

  connections
    .command('show <agent> <connection>')
    .description('one connection')
    .action(async (agentId: string, connectionId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const k = await client.getConnection(agentId, connectionId);
      if (out.json) return out.data(k);
      out.lines(
        formatFields(
          [
            ['id', k.id],
            ['name', k.name],
            ['kind', k.kind],
            ['settings', JSON.stringify(k.settings)],
            ['secret', k.has_secret ? 'stored' : 'none'],
            ['updated', k.updated_at],
          ],
          out.colors,
        ),
      );
    });

  connections
    .command('create <agent> <name>')
    .description('add a connection; its secret is sealed by the server and never returned')
    .addOption(
      new Option('--kind <kind>', 'what it connects to')
        .choices(['smtp', 'imap', 'caldav', 'http'])
        .makeOptionMandatory(),
    )
    .requiredOption('--settings <json>', 'per kind, e.g. smtp: {"host", "port", "from"}; http: {"origin"}', jsonObject)
    .option('--secret <secret>', 'password or token (visible in the shell history: prefer --secret-stdin)')
    .option('--secret-stdin', 'read the secret from standard input')
    .action(
      async (
        agentId: string,
        name: string,
        options: {
          kind: CreateConnection['kind'];
          settings: Record<string, unknown>;
          secret?: string;
          secretStdin?: boolean;
        },
        command: Command,
      ) => {
        const { client, out } = contextOf(command);
        if (options.secret !== undefined && options.secretStdin)
          throw new UsageError('give --secret or --secret-stdin, not both');
        const secret = options.secretStdin ? await readStdin() : options.secret;
        const created = await client.createConnection(agentId, {
          name,
          kind: options.kind,
          settings: options.settings as CreateConnection['settings'],
          ...(secret !== undefined ? { secret } : {}),
        });
        if (out.json) out.data(created);
        else out.line(`created connection ${created.name} (${created.kind}) ${created.id}`);
      },
    );

  connections
    .command('test <agent> <connection>')
    .description('log in with a connection and report what the server answered (exit 1 when it could not)')
    .action(async (agentId: string, connectionId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const result = await client.testConnection(agentId, connectionId);
      if (out.json) out.data(result);
      else out.line(`${result.ok ? out.colors.green('ok') : out.colors.red('failed')}: ${result.message}`);
      if (!result.ok) process.exitCode = ExitCode.RunFailed;
    });

  connections
    .command('delete <agent> <connection>')
    .description('delete a connection')
    .action(async (agentId: string, connectionId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      await client.deleteConnection(agentId, connectionId);
      if (out.json) out.data({ deleted: connectionId });
      else out.line(`deleted connection ${connectionId}`);
    });
}
