import type { Command } from 'commander';
import { AosClient, DEFAULT_URL } from '../client.js';
import { apiKey, serverUrl, tenantRef } from './arguments.js';
import { configPath, readLogin } from './config.js';
import type { CommandPrefix } from './format.js';
import { Output } from './output.js';

export interface GlobalOptions {
  url: string;
  key?: string;
  tenant?: string;
  json?: boolean;
}

/** The server, credential and tenant a command talks to, and where each came from. */
export interface Target {
  url: string;
  key?: string;
  tenant?: string;
  /** The saved login's file, when its key (and tenant) are the ones in use. */
  savedIn?: string;
}

/** What every command needs: a client for the chosen server, and where to write. */
export interface Context {
  client: AosClient;
  /** The key and tenant in use (the client sends them). */
  key?: string;
  tenant?: string;
  out: Output;
  /** How to spell another command for the same server (approve/reject hints). */
  prefix: CommandPrefix;
}

const root = (command: Command): Command => (command.parent ? root(command.parent) : command);

/** `--url` or AOS_URL, as the person gave it: the name a usage error should use. */
const sourceName = (program: Command, option: 'url' | 'key' | 'tenant', env: string) =>
  program.getOptionValueSource(option) === 'env' ? env : `--${option}`;

/** A flag's or variable's value; an empty variable is an unset one (`export AOS_API_KEY=`). */
function given(program: Command, option: 'key' | 'tenant', value: string | undefined): string | undefined {
  return value === undefined || (program.getOptionValueSource(option) === 'env' && value === '') ? undefined : value;
}

/** One spelling per server: `http://h:80/` and `http://h` are the same one. */
function sameServer(a: string, b: string): boolean {
  try {
    return new URL(a).href.replace(/\/+$/, '') === new URL(b).href.replace(/\/+$/, '');
  } catch {
    return false;
  }
}

/**
 * URL, key and tenant: a flag, else its variable (AOS_URL, AOS_API_KEY, AOS_TENANT), else the
 * login `aos login` saved. The saved key and tenant are used together, only when no key is given
 * and only against the saved URL: a key is never sent to a server it was not saved for.
 * `useSaved: false` (login itself) reads only the saved URL. Every value is checked: a usage
 * error (exit 2) otherwise, whose message quotes neither URL nor key (either may hold a secret).
 */
export function targetOf(command: Command, { useSaved = true } = {}): Target {
  const options = command.optsWithGlobals<GlobalOptions>();
  const program = root(command);
  const urlGiven = program.getOptionValueSource('url') !== 'default' && options.url !== undefined;
  const keyGiven = given(program, 'key', options.key);
  const tenantGiven = given(program, 'tenant', options.tenant);
  const needsSaved = !urlGiven || (useSaved && keyGiven === undefined);
  const path = needsSaved ? configPath() : undefined;
  const saved = path ? readLogin(path) : undefined;

  const url = urlGiven
    ? serverUrl(options.url, sourceName(program, 'url', 'AOS_URL'))
    : saved
      ? serverUrl(saved.url, `the URL in ${path}`)
      : DEFAULT_URL;
  const tenant =
    tenantGiven === undefined ? undefined : tenantRef(tenantGiven, sourceName(program, 'tenant', 'AOS_TENANT'));
  if (keyGiven !== undefined) return { url, key: apiKey(keyGiven, sourceName(program, 'key', 'AOS_API_KEY')), tenant };
  if (!useSaved || !saved || !sameServer(url, saved.url)) return { url, tenant };
  return {
    url,
    key: apiKey(saved.key, `the key in ${path}`),
    tenant: tenant ?? (saved.tenant === undefined ? undefined : tenantRef(saved.tenant, `the tenant in ${path}`)),
    savedIn: path,
  };
}

/**
 * The context of a command, once its URL, key and tenant are known to be usable. `tenant: false`
 * sends no X-AOS-Tenant (the operator's `/tenants` routes name theirs in the path).
 */
export function contextOf(command: Command, { tenant: sendTenant = true } = {}): Context {
  const options = command.optsWithGlobals<GlobalOptions>();
  const program = root(command);
  const target = targetOf(command);
  const tenant = sendTenant ? target.tenant : undefined;
  return {
    key: target.key,
    tenant,
    client: new AosClient({ baseUrl: target.url, apiKey: target.key, tenant }),
    out: new Output(options.json === true),
    prefix: {
      // ./aos cli sets this, so the hints name the command the person actually typed.
      program: process.env.AOS_CLI_NAME || 'aos',
      flags: [
        ...(program.getOptionValueSource('url') === 'cli' ? ['--url', target.url] : []),
        ...(program.getOptionValueSource('tenant') === 'cli' && tenant ? ['--tenant', tenant] : []),
      ],
    },
  };
}
