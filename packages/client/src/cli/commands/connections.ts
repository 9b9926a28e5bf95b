import { type Command, Option } from 'commander';
import type { CreateConnection, UpdateConnection } from '../../types.js';
import { jsonObject, readStdin, wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { ExitCode } from '../exit-codes.js';
import { formatFields, formatTable, inline } from '../format.js';

/**
 * The secret as the server takes it: for an HTTP connection with header auth, a JSON object of
 * header names and values; otherwise the text as given.
 */
function secretFor(text: string, settings: Record<string, unknown> | undefined): string | Record<string, string> {
  if (settings?.auth !== 'headers') return text;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, string>;
  } catch {
    // not JSON: refused below, without echoing it
  }
  throw new UsageError('with auth "headers" the secret must be a JSON object of header names and values');
}

async function secretOption(options: { secret?: string; secretStdin?: boolean }): Promise<string | undefined> {
  if (options.secret !== undefined && options.secretStdin)
    throw new UsageError('give --secret or --secret-stdin, not both');
  return options.secretStdin ? readStdin() : options.secret;
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
        const secret = await secretOption(options);
        // The settings are checked for their kind by the server (the command line passes them as given).
        const created = await client.createConnection(agentId, {
          name,
          kind: options.kind,
          settings: options.settings,
          ...(secret !== undefined ? { secret: secretFor(secret, options.settings) } : {}),
        } as CreateConnection);
        if (out.json) out.data(created);
        else out.line(`created connection ${created.name} (${created.kind}) ${created.id}`);
      },
    );

  connections
    .command('update <agent> <connection>')
    .description('rename, replace the settings or rotate the secret (a new host, login or origin needs the secret)')
    .option('--name <name>', 'a new name')
    .option('--settings <json>', 'all settings of the kind, replacing the old ones', jsonObject)
    .option('--secret <secret>', 'a new secret (visible in the shell history: prefer --secret-stdin)')
    .option('--secret-stdin', 'read the new secret from standard input')
    .action(
      async (
        agentId: string,
        connectionId: string,
        options: { name?: string; settings?: Record<string, unknown>; secret?: string; secretStdin?: boolean },
        command: Command,
      ) => {
        const { client, out } = contextOf(command);
        const secret = await secretOption(options);
        if (options.name === undefined && options.settings === undefined && secret === undefined) {
          throw new UsageError('give at least one of --name, --settings, --secret, --secret-stdin');
        }
        const settings =
          options.settings ??
          (secret === undefined ? undefined : (await client.getConnection(agentId, connectionId)).settings);
        const updated = await client.updateConnection(agentId, connectionId, {
          ...(options.name !== undefined ? { name: options.name } : {}),
          ...(options.settings !== undefined ? { settings: options.settings as UpdateConnection['settings'] } : {}),
          ...(secret !== undefined ? { secret: secretFor(secret, settings) } : {}),
        });
        if (out.json) out.data(updated);
        else out.line(`updated connection ${updated.name} (${updated.kind}) ${updated.id}`);
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
