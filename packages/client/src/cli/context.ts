import type { Command } from 'commander';
import { AosClient } from '../client.js';
import { apiKey, serverUrl } from './arguments.js';
import type { CommandPrefix } from './format.js';
import { Output } from './output.js';

export interface GlobalOptions {
  url: string;
  key?: string;
  json?: boolean;
}

/** What every command needs: a client for the chosen server, and where to write. */
export interface Context {
  client: AosClient;
  out: Output;
  /** How to spell another command for the same server (approve/reject hints). */
  prefix: CommandPrefix;
}

const root = (command: Command): Command => (command.parent ? root(command.parent) : command);

/** `--url` or AOS_URL, as the person gave it: the name a usage error should use. */
const sourceName = (program: Command, option: 'url' | 'key', env: string) =>
  program.getOptionValueSource(option) === 'env' ? env : `--${option}`;

/**
 * The context of a command, once its URL and key are known to be usable: a usage error (exit 2)
 * otherwise, whose message quotes neither (either may hold a secret).
 */
export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const program = root(command);
  const url = serverUrl(options.url, sourceName(program, 'url', 'AOS_URL'));
  // An empty AOS_API_KEY is an unset one (`export AOS_API_KEY=`); an empty --key is a mistake.
  const fromEnv = program.getOptionValueSource('key') === 'env';
  const key =
    options.key === undefined || (fromEnv && options.key === '')
      ? undefined
      : apiKey(options.key, sourceName(program, 'key', 'AOS_API_KEY'));
  return {
    client: new AosClient({ baseUrl: url, apiKey: key }),
    out: new Output(options.json === true),
    prefix: {
      // ./aos cli sets this, so the hints name the command the person actually typed.
      program: process.env.AOS_CLI_NAME || 'aos',
      flags: program.getOptionValueSource('url') === 'cli' ? ['--url', url] : [],
    },
  };
}
