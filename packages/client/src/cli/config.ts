import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { UsageError } from './exit-codes.js';

/** What `aos login` saves: the defaults below the flags and the environment. */
export interface SavedLogin {
  url: string;
  key: string;
  tenant?: string;
}

/**
 * Where the login is kept: `$AOS_CONFIG`, else `$XDG_CONFIG_HOME/aos/config.json`, else
 * `~/.config/aos/config.json`. A relative XDG_CONFIG_HOME is ignored, as the XDG spec asks.
 */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.AOS_CONFIG) return env.AOS_CONFIG;
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config');
  return join(base, 'aos', 'config.json');
}

const isString = (value: unknown): value is string => typeof value === 'string' && value !== '';

/**
 * The saved login, or undefined when there is none. A file that is not what `aos login` writes is
 * a usage error whose message never quotes the file (it holds a key).
 */
export function readLogin(path: string): SavedLogin | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const saved = parsed as Partial<Record<keyof SavedLogin, unknown>> | undefined;
  if (
    !saved ||
    typeof saved !== 'object' ||
    !isString(saved.url) ||
    !isString(saved.key) ||
    (saved.tenant !== undefined && saved.tenant !== null && !isString(saved.tenant))
  )
    throw new UsageError(`${path} is not a saved login (run aos login again, or aos logout)`);
  return { url: saved.url, key: saved.key, ...(isString(saved.tenant) ? { tenant: saved.tenant } : {}) };
}

/**
 * Saves the login readable by its owner alone: the file 0600 (its directory 0700 when this
 * creates it), written beside it first and renamed over it, so no reader ever sees half a file
 * and no other user ever sees the key, whatever the umask.
 */
export function writeLogin(path: string, login: SavedLogin): void {
  const dir = dirname(path);
  if (mkdirSync(dir, { recursive: true, mode: 0o700 }) !== undefined) chmodSync(dir, 0o700);
  const temporary = join(dir, `.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    try {
      writeSync(fd, `${JSON.stringify(login, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, 0o600);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Removes the saved login; false when there was none. */
export function removeLogin(path: string): boolean {
  try {
    rmSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
