import { InvalidArgumentError } from 'commander';
import { UsageError } from './exit-codes.js';

/** An option parser for a whole number in [min, max]; commander reports the message as a usage error. */
export function wholeNumber(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}`);
    }
    return n;
  };
}

/**
 * A limit: a whole number in [min, max], or `none` (the limit removed). Not null for `none`:
 * commander turns an option's null into ''.
 */
export function limitOrNone(min: number, max: number): (value: string) => number | 'none' {
  const number = wholeNumber(min, max);
  return (value) => {
    if (value === 'none') return 'none';
    try {
      return number(value);
    } catch {
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}, or none (no limit)`);
    }
  };
}

/** A UTC day, YYYY-MM-DD (a real one: not 2026-02-30). */
export function day(value: string): string {
  const at = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : undefined;
  if (!at || Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value)
    throw new InvalidArgumentError('must be a day such as 2026-12-01 (YYYY-MM-DD, UTC)');
  return value;
}

/** Seconds as a positive number (fractions allowed). */
export function seconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('must be a number of seconds above 0');
  return n;
}

export function jsonObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError('must be a JSON object, e.g. \'{"host": "smtp.example.com"}\'');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new InvalidArgumentError('must be a JSON object');
  return parsed as Record<string, unknown>;
}

/** `a,b , c` → [a, b, c]. */
export function commaList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

/**
 * The server URL from `--url` or AOS_URL (`from` names which). Checked here rather than by
 * commander, whose message would quote the value: a URL may carry a password. The message
 * never does, and a URL with a user name or password is refused (it would end up in messages).
 */
export function serverUrl(value: string, from: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${from} must be a URL such as http://127.0.0.1:8000`);
  }
  if (url.username || url.password)
    throw new UsageError(`${from} must not carry a user name or password (give the API key with --key or AOS_API_KEY)`);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`${from} must be an http or https URL`);
  return value;
}

export const MAX_API_KEY_LENGTH = 512;

/**
 * The API key from `--key` or AOS_API_KEY (`from` names which): 1 to 512 visible ASCII
 * characters. Anything else cannot be a header value, and fetch's complaint would quote it.
 */
export function apiKey(value: string, from: string): string {
  if (value.length < 1 || value.length > MAX_API_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(value))
    throw new UsageError(
      `${from} must be 1 to ${MAX_API_KEY_LENGTH} visible ASCII characters (no spaces or line breaks)`,
    );
  return value;
}

/**
 * A tenant (`--tenant`, AOS_TENANT or the saved login; `from` names which): its id or slug, so
 * 1 to 64 letters, digits and `-`. Anything else names no tenant and could not be a header value.
 */
export function tenantRef(value: string, from: string): string {
  if (!/^[A-Za-z0-9-]{1,64}$/.test(value))
    throw new UsageError(`${from} must be a tenant's id or slug (letters, digits and -)`);
  return value;
}

export const KEY_SCOPES = ['read', 'write', 'admin'] as const;

/** `read,write` → the scopes of a new key; each one of read, write, admin. */
export function keyScopes(value: string): (typeof KEY_SCOPES)[number][] {
  const scopes = commaList(value);
  const unknown = scopes.filter((s) => !(KEY_SCOPES as readonly string[]).includes(s));
  if (scopes.length === 0 || unknown.length > 0)
    throw new InvalidArgumentError(`must be a comma-separated list of ${KEY_SCOPES.join(', ')}`);
  return [...new Set(scopes)] as (typeof KEY_SCOPES)[number][];
}

/** A date and time (ISO 8601, e.g. 2027-01-31T00:00:00Z), sent as an ISO string in UTC. */
export function dateTime(value: string): string {
  const at = Date.parse(value);
  if (value.trim() === '' || Number.isNaN(at))
    throw new InvalidArgumentError('must be a date and time such as 2027-01-31T00:00:00Z');
  return new Date(at).toISOString();
}

/** Standard input, whole, without its final line break (a secret piped in). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}
