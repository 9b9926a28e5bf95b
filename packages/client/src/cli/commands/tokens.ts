import type { Command } from 'commander';
import { contextOf } from '../context.js';
import { UsageError } from '../exit-codes.js';

export function registerToken(program: Command): void {
  program
    .command('token')
    .description('print an access token of the tenant key, alone, for scripts: -H "Authorization: Bearer $(aos token)"')
    .addHelpText(
      'after',
      '\nThe key (--key, AOS_API_KEY or the saved login) must be a tenant key (aos_…); it is exchanged\n' +
        'at POST /auth/token. The token acts as the key does, for at most 15 minutes. --json prints the\n' +
        'whole answer, its single-use refresh token included.',
    )
    .action(async (_options: unknown, command: Command) => {
      // The token acts in its key's tenant: X-AOS-Tenant has no say.
      const { client, key, out } = contextOf(command, { tenant: false });
      if (key === undefined) throw new UsageError('give the tenant key with --key, AOS_API_KEY or aos login');
      const grant = await client.exchangeToken({ grant_type: 'api_key', api_key: key });
      if (out.json) out.data(grant);
      else out.line(grant.access_token);
    });
}
