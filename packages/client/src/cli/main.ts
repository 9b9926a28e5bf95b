import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_URL } from '../client.js';
import { AosTimeoutError } from '../errors.js';
import { registerAgents } from './commands/agents.js';
import { registerConnections } from './commands/connections.js';
import { registerEvents } from './commands/events.js';
import { registerProvenance, registerSkills } from './commands/inspect.js';
import { registerLogin } from './commands/login.js';
import { registerMemory } from './commands/memory.js';
import { registerGoal, registerRuns } from './commands/runs.js';
import { registerKeys, registerTenant, registerTenants, registerUsage } from './commands/tenants.js';
import { registerToken } from './commands/tokens.js';
import { registerWebhooks } from './commands/webhooks.js';
import { exitCodeForError, ExitCode } from './exit-codes.js';
import { describeError } from './format.js';
import { Output } from './output.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('aos')
    .description('Command line for AOS, the agent runtime: agents, goals, runs, memory, events')
    .version(version)
    .addOption(new Option('--url <url>', 'AOS base URL').env('AOS_URL').default(DEFAULT_URL))
    .addOption(new Option('--key <key>', 'API key, sent as X-AOS-Key').env('AOS_API_KEY'))
    .addOption(
      new Option('--tenant <tenant>', 'tenant (id or slug) the operator key acts in, sent as X-AOS-Tenant').env(
        'AOS_TENANT',
      ),
    )
    .option('--json', 'print the raw JSON answer (for scripts)')
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nWithout --url, --key and --tenant (or AOS_URL, AOS_API_KEY, AOS_TENANT), what aos login saved\n' +
        'is used (AOS_CONFIG, default ~/.config/aos/config.json).\n' +
        '\nExit codes: 0 ok, 1 run failed, 2 usage, 3 partial, 4 cancelled, 5 waiting for approval,\n6 timed out, 7 server unreachable, 8 request refused (see README).',
    )
    // Commander exits by itself on a usage error; we want our own code (2) and no exit mid-command.
    .exitOverride();
  registerAgents(program);
  registerGoal(program);
  registerRuns(program);
  registerMemory(program);
  registerProvenance(program);
  registerSkills(program);
  registerConnections(program);
  registerWebhooks(program);
  registerEvents(program);
  registerLogin(program);
  registerToken(program);
  registerTenant(program);
  registerUsage(program);
  registerTenants(program);
  registerKeys(program);
  return program;
}

/** Runs the command line and resolves to its exit code; errors are printed in one line on stderr. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return Number(process.exitCode ?? ExitCode.Ok);
  } catch (error) {
    // Commander has already printed its usage error (or the help).
    if (error instanceof CommanderError) return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    const out = new Output(program.opts<{ json?: boolean }>().json === true);
    if (error instanceof AosTimeoutError && error.run && out.json) out.data(error.run);
    out.error(`error: ${describeError(error)}`);
    return exitCodeForError(error);
  }
}
