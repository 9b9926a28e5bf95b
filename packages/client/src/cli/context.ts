import type { Command } from 'commander';
import { AosClient } from '../client.js';
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

export function contextOf(command: Command): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const program = root(command);
  return {
    client: new AosClient({ baseUrl: options.url, apiKey: options.key }),
    out: new Output(options.json === true),
    prefix: {
      // ./aos cli sets this, so the hints name the command the person actually typed.
      program: process.env.AOS_CLI_NAME || 'aos',
      flags: program.getOptionValueSource('url') === 'cli' ? ['--url', options.url] : [],
    },
  };
}
