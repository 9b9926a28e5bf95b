import { type Command, Option } from 'commander';
import type { KeyScope, OnTokenLimit, TenantLimits, TenantStatus } from '../../types.js';
import { dateTime, day, keyScopes, limitOrNone, wholeNumber } from '../arguments.js';
import { type Context, contextOf } from '../context.js';
import { UsageError } from '../exit-codes.js';
import {
  colourStatus,
  formatFields,
  formatKeyRow,
  formatSigningKeyRow,
  formatTable,
  formatTenant,
  formatUsage,
} from '../format.js';

/** A tenant key as the server mints them: `aos_` + 12 of [a-z0-9] + `_` + 43 base64url characters. */
const TENANT_KEY = /^aos_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;

/**
 * The tenant whose keys a command manages: `--tenant` (AOS_TENANT, the saved login), else a tenant
 * key's own. The operator key manages every tenant's keys, so it must name one.
 */
async function keysTenant(ctx: Context): Promise<string> {
  if (ctx.tenant) return ctx.tenant;
  if (ctx.key !== undefined && !TENANT_KEY.test(ctx.key))
    throw new UsageError('give --tenant <id|slug>: the operator key manages the keys of every tenant');
  // A tenant key (or none: the server's 401 says what is missing).
  return (await ctx.client.getOwnTenant()).id;
}

const paging = (command: Command) =>
  command
    .option('--limit <n>', 'how many (1-100)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)');

interface DaysOptions {
  from?: string;
  to?: string;
}

const days = (command: Command) =>
  command
    .option('--from <day>', 'first UTC day, YYYY-MM-DD (default: 30 days before --to)', day)
    .option('--to <day>', 'last UTC day, included (default: today)', day);

/** The greatest count a limit takes (the server's bound too). */
const MAX_COUNT = 1_000_000;

type Limit = number | 'none';

interface LimitOptions {
  agents?: Limit;
  runsInFlight?: Limit;
  modelTokensPerDay?: Limit;
  onTokenLimit?: OnTokenLimit;
  requestsPerMinute?: Limit;
}

/** The limits given, as the body's `limits`: `none` is null (removes it), absent ones keep theirs. */
function limitsOf(options: LimitOptions): TenantLimits | undefined {
  const value = (limit: Limit) => (limit === 'none' ? null : limit);
  const limits: TenantLimits = {
    ...(options.agents !== undefined ? { agents: value(options.agents) } : {}),
    ...(options.runsInFlight !== undefined ? { runs_in_flight: value(options.runsInFlight) } : {}),
    ...(options.modelTokensPerDay !== undefined ? { model_tokens_per_day: value(options.modelTokensPerDay) } : {}),
    ...(options.onTokenLimit !== undefined ? { on_token_limit: options.onTokenLimit } : {}),
    ...(options.requestsPerMinute !== undefined ? { requests_per_minute: value(options.requestsPerMinute) } : {}),
  };
  return Object.keys(limits).length > 0 ? limits : undefined;
}

export function registerUsage(program: Command): void {
  days(
    program
      .command('usage')
      .description("the credential's tenant's usage per UTC day: model tokens and calls by model, runs by status"),
  ).action(async (options: DaysOptions, command: Command) => {
    const { client, out } = contextOf(command);
    const usage = await client.usage(options);
    if (out.json) out.data(usage);
    else out.lines(formatUsage(usage, out.colors));
  });
}

export function registerTenant(program: Command): void {
  program
    .command('tenant')
    .description('the tenant the credential acts in (an admin key, or the operator with --tenant)')
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const tenant = await client.getOwnTenant();
      if (out.json) out.data(tenant);
      else out.lines(formatTenant(tenant, out.colors));
    });
}

export function registerTenants(program: Command): void {
  const tenants = program
    .command('tenants')
    .description('create, list, show, change and delete tenants (the operator key, AOS_API_KEY)');
  // These routes name their tenant in the path: no X-AOS-Tenant, which would have to exist.
  const context = (command: Command) => contextOf(command, { tenant: false });

  tenants
    .command('create <slug>')
    .description('create a tenant (slug: 1 to 40 of a-z, 0-9 and -)')
    .requiredOption('--name <name>', 'its name, e.g. "Acme Corp"')
    .action(async (slug: string, options: { name: string }, command: Command) => {
      const { client, out } = context(command);
      const tenant = await client.createTenant({ slug, name: options.name });
      if (out.json) out.data(tenant);
      else out.lines(formatTenant(tenant, out.colors));
    });

  paging(tenants.command('list').description('list tenants, newest first')).action(
    async (options: { limit?: number; cursor?: string }, command: Command) => {
      const { client, out } = context(command);
      const page = await client.listTenants(options);
      if (out.json) return out.data(page);
      const c = out.colors;
      out.lines(
        formatTable(
          ['id', 'slug', 'name', 'status', 'created'],
          page.items.map((t) => [t.id, t.slug, t.name, colourStatus(t.status, c), t.created_at]),
          c,
        ),
      );
      if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
    },
  );

  tenants
    .command('show <tenant>')
    .description('one tenant, by id or slug')
    .action(async (ref: string, _options: unknown, command: Command) => {
      const { client, out } = context(command);
      const tenant = await client.getTenant(ref);
      if (out.json) out.data(tenant);
      else out.lines(formatTenant(tenant, out.colors));
    });

  tenants
    .command('update <tenant>')
    .description('rename a tenant, or suspend it (its keys are refused) or make it active again')
    .option('--name <name>', 'a new name')
    .addOption(new Option('--status <status>', 'active or suspended').choices(['active', 'suspended']))
    .action(async (ref: string, options: { name?: string; status?: TenantStatus }, command: Command) => {
      if (options.name === undefined && options.status === undefined)
        throw new UsageError('give at least one of --name, --status');
      const { client, out } = context(command);
      const tenant = await client.updateTenant(ref, options);
      if (out.json) out.data(tenant);
      else out.lines(formatTenant(tenant, out.colors));
    });

  tenants
    .command('limits <tenant>')
    .description("show a tenant's limits, or change them: each option sets one (none removes it), others keep theirs")
    .option('--agents <n>', 'agents at once (creating one more is refused)', limitOrNone(0, MAX_COUNT))
    .option('--runs-in-flight <n>', 'runs running at once; more wait as pending', limitOrNone(0, MAX_COUNT))
    .option(
      '--model-tokens-per-day <n>',
      'model tokens (input + output) per UTC day',
      limitOrNone(0, Number.MAX_SAFE_INTEGER),
    )
    .addOption(
      new Option('--on-token-limit <action>', 'over the daily tokens: runs wait for the next day, or fail').choices([
        'wait',
        'fail',
      ]),
    )
    .option('--requests-per-minute <n>', 'requests per minute per credential (429 beyond)', limitOrNone(1, MAX_COUNT))
    .action(async (ref: string, options: LimitOptions, command: Command) => {
      const { client, out } = context(command);
      const limits = limitsOf(options);
      const tenant = limits ? await client.updateTenant(ref, { limits }) : await client.getTenant(ref);
      if (out.json) out.data(tenant);
      else out.lines(formatTenant(tenant, out.colors));
    });

  days(
    tenants
      .command('usage <tenant>')
      .description("a tenant's usage per UTC day: model tokens and calls by model, runs by status"),
  ).action(async (ref: string, options: DaysOptions, command: Command) => {
    const { client, out } = context(command);
    const usage = await client.tenantUsage(ref, options);
    if (out.json) out.data(usage);
    else out.lines(formatUsage(usage, out.colors));
  });

  tenants
    .command('delete <tenant>')
    .description('delete a tenant (refused while it has agents, unless --cascade)')
    .option('--cascade', 'also delete its agents (their runs cancelled, data deleted) and keys')
    .action(async (ref: string, options: { cascade?: boolean }, command: Command) => {
      const { client, out } = context(command);
      await client.deleteTenant(ref, { cascade: options.cascade === true });
      if (out.json) out.data({ deleted: ref });
      else out.line(`deleted tenant ${ref}`);
    });
}

export function registerKeys(program: Command): void {
  const keys = program
    .command('keys')
    .description(
      "a tenant's API keys: --tenant, or a tenant key's own (an admin key, or the operator key); the token signing keys",
    );

  keys
    .command('create')
    .description('mint a key; prints it once')
    .requiredOption('--name <name>', 'what it is for, e.g. dashboard')
    .requiredOption('--scopes <scopes>', 'comma-separated: read, write, admin', keyScopes)
    .option('--expires-at <time>', 'when it stops working (ISO 8601); default: never', dateTime)
    .action(async (options: { name: string; scopes: KeyScope[]; expiresAt?: string }, command: Command) => {
      const ctx = contextOf(command);
      const { client, out } = ctx;
      const created = await client.createKey(await keysTenant(ctx), {
        name: options.name,
        scopes: options.scopes,
        ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
      });
      if (out.json) return out.data(created);
      out.lines(
        formatFields(
          [
            ['id', created.id],
            ['name', created.name],
            ['tenant', created.tenant_id],
            ['scopes', created.scopes.join(',')],
            ['expires', created.expires_at ?? 'never'],
            ['key', out.colors.bold(created.key)],
          ],
          out.colors,
        ),
      );
      out.note(out.stderrColors.yellow('store the key now: it is not shown again'));
    });

  paging(keys.command('list').description('live keys, newest first (their visible prefix, never the key)')).action(
    async (options: { limit?: number; cursor?: string }, command: Command) => {
      const ctx = contextOf(command);
      const page = await ctx.client.listKeys(await keysTenant(ctx), options);
      const { out } = ctx;
      if (out.json) return out.data(page);
      out.lines(
        formatTable(
          ['id', 'name', 'key', 'scopes', 'created by', 'created', 'expires', 'last used'],
          page.items.map(formatKeyRow),
          out.colors,
        ),
      );
      if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
    },
  );

  keys
    .command('revoke <key>')
    .description('revoke a key by its id: refused at once, on every instance within 5 s')
    .action(async (keyId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      await ctx.client.revokeKey(await keysTenant(ctx), keyId);
      if (ctx.out.json) ctx.out.data({ revoked: keyId });
      else ctx.out.line(`revoked key ${keyId}`);
    });

  // The keys that sign tokens belong to no tenant: no X-AOS-Tenant.
  keys
    .command('signing')
    .description('the keys that sign tokens (the operator key): which one signs, which only verify')
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = contextOf(command, { tenant: false });
      const list = await client.signingKeys();
      if (out.json) return out.data(list);
      out.lines(
        formatTable(
          ['kid', 'alg', 'created', 'state'],
          list.items.map((k) => formatSigningKeyRow(k, out.colors)),
          out.colors,
        ),
      );
    });

  keys
    .command('rotate-signing')
    .description('a new key signs new tokens (the operator key); tokens the old one signed verify until they expire')
    .action(async (_options: unknown, command: Command) => {
      const { client, out } = contextOf(command, { tenant: false });
      const key = await client.rotateSigningKey();
      if (out.json) return out.data(key);
      out.lines(
        formatFields(
          [
            ['kid', out.colors.bold(key.kid)],
            ['alg', key.alg],
            ['created', key.created_at],
          ],
          out.colors,
        ),
      );
      out.note(out.stderrColors.dim('other instances sign with it within 30 s; the old key verifies for an hour'));
    });
}
