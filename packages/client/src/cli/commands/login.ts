import type { Command } from 'commander';
import { AosClient } from '../../client.js';
import { apiKey, readStdin } from '../arguments.js';
import { configPath, removeLogin, writeLogin } from '../config.js';
import { targetOf } from '../context.js';
import { UsageError } from '../exit-codes.js';
import { Output } from '../output.js';

const jsonOf = (command: Command) => command.optsWithGlobals<{ json?: boolean }>().json === true;

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      'check a key against the server, then save URL, key and tenant (--url, --key, --tenant) as the defaults',
    )
    .option('--key-stdin', 'read the key from standard input (keeps it out of the shell history)')
    .action(async (options: { keyStdin?: boolean }, command: Command) => {
      const out = new Output(jsonOf(command));
      // The URL may come from an earlier login; the key and tenant only from this command line.
      const target = targetOf(command, { useSaved: false });
      if (options.keyStdin && target.key !== undefined)
        throw new UsageError('give --key (or AOS_API_KEY) or --key-stdin, not both');
      const key = options.keyStdin ? apiKey(await readStdin(), 'the key on standard input') : target.key;
      if (key === undefined) throw new UsageError('give the key with --key, AOS_API_KEY or --key-stdin');
      // Any scope may list agents: the key works, and so does the tenant it is to act in.
      await new AosClient({ baseUrl: target.url, apiKey: key, tenant: target.tenant }).listAgents({ limit: 1 });
      const path = configPath();
      writeLogin(path, { url: target.url, key, ...(target.tenant ? { tenant: target.tenant } : {}) });
      if (out.json) return out.data({ url: target.url, tenant: target.tenant ?? null, config: path });
      out.line(`logged in to ${target.url}${target.tenant ? ` in tenant ${target.tenant}` : ''}`);
      out.note(out.stderrColors.dim(`saved to ${path} (readable by you alone; aos logout removes it)`));
    });

  program
    .command('logout')
    .description('remove the login aos login saved')
    .action((_options: unknown, command: Command) => {
      const out = new Output(jsonOf(command));
      const path = configPath();
      const removed = removeLogin(path);
      if (out.json) return out.data({ config: path, removed });
      out.line(removed ? `removed ${path}` : `not logged in (no ${path})`);
    });
}
