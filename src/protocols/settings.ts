import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { fieldErrors } from '../common/validation';
import { ConnectionKind } from './connection-kind.enum';
import {
  CaldavSettingsDto,
  HEADER_NAME,
  HttpSettingsDto,
  ImapSettingsDto,
  SmtpSettingsDto,
  TlsMode,
} from './settings.dto';

export type SmtpSettings = Required<Omit<SmtpSettingsDto, 'username' | 'from_name'>> &
  Pick<SmtpSettingsDto, 'username' | 'from_name'>;
export type ImapSettings = Required<ImapSettingsDto>;
export type CaldavSettings = CaldavSettingsDto;
export type HttpSettings = Required<Pick<HttpSettingsDto, 'origin' | 'auth'>> & Pick<HttpSettingsDto, 'headers'>;

export type SettingsOf<K extends ConnectionKind> = K extends ConnectionKind.Smtp
  ? SmtpSettings
  : K extends ConnectionKind.Imap
    ? ImapSettings
    : K extends ConnectionKind.Caldav
      ? CaldavSettings
      : HttpSettings;

const SETTINGS_CLASS = {
  [ConnectionKind.Smtp]: SmtpSettingsDto,
  [ConnectionKind.Imap]: ImapSettingsDto,
  [ConnectionKind.Caldav]: CaldavSettingsDto,
  [ConnectionKind.Http]: HttpSettingsDto,
} as const;

/** Headers a credential may not set: they belong to the request itself. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'trailer',
]);
const MAX_SECRET_LENGTH = 8_000;

export type FieldProblem = { field: string; message: string };

/** What a create or update carries, checked for its kind; `problems` lists every rule broken. */
export interface CheckedConnection {
  settings: Record<string, unknown>;
  /** The secret as it is sealed (headers as JSON); undefined: none given. */
  secret: string | undefined;
  problems: FieldProblem[];
}

const defaultPort = (tls: TlsMode, implicit: number, otherwise: number) => (tls === 'tls' ? implicit : otherwise);

/**
 * Validates `settings` for `kind` (unknown fields refused) and fills the defaults; validates the
 * secret's shape for the kind. `secretRequired`: a create of a kind that cannot work without one.
 * `previousHeaders`: an update of an http connection that keeps its header secret.
 */
export function checkConnection(
  kind: ConnectionKind,
  rawSettings: unknown,
  rawSecret: unknown,
  options: { secretRequired: boolean; previousHeaders?: string[] },
): CheckedConnection {
  const problems: FieldProblem[] = [];
  const settingsClass: new () => object = SETTINGS_CLASS[kind];
  const instance = plainToInstance(settingsClass, rawSettings ?? {});
  if (typeof rawSettings !== 'object' || rawSettings === null || Array.isArray(rawSettings)) {
    problems.push({ field: 'settings', message: 'settings must be an object' });
  } else {
    const errors = fieldErrors(validateSync(instance, { whitelist: true, forbidNonWhitelisted: true }), 'settings');
    // The validator names a field by its own name ("property x should not exist", "port must …");
    // the full path in the body says more.
    problems.push(
      ...errors.map((e) => ({
        ...e,
        message: e.message
          .replace(/^property (\S+) should not exist$/, `${e.field} should not exist for a ${kind} connection`)
          // "port must …" names the field as the body has it: settings.port.
          .replace(new RegExp(`^${e.field.replace(/^settings\./, '')}(?= )`), e.field),
      })),
    );
  }
  const secret = checkSecret(kind, rawSettings, rawSecret, options.secretRequired, problems);
  if (problems.length > 0) return { settings: {}, secret: undefined, problems };
  return {
    settings: normalize(kind, instance as Record<string, unknown>, secret, options.previousHeaders),
    secret,
    problems,
  };
}

function checkSecret(
  kind: ConnectionKind,
  rawSettings: unknown,
  raw: unknown,
  required: boolean,
  problems: FieldProblem[],
): string | undefined {
  const problem = (message: string) => problems.push({ field: 'secret', message });
  const agentToken = kind === ConnectionKind.Http && (rawSettings as { auth?: unknown } | null)?.auth === 'agent_token';
  if ((raw === undefined || raw === null) && agentToken) return undefined;
  if (raw === undefined || raw === null) {
    if (required) problem(`secret is required for a ${kind} connection`);
    return undefined;
  }
  const auth = kind === ConnectionKind.Http ? (rawSettings as { auth?: unknown } | null)?.auth : undefined;
  if (auth === 'agent_token') {
    problem('secret is not taken with auth agent_token: each call carries a token AOS signs for the agent');
    return undefined;
  }
  const headerAuth = auth === 'headers';
  if (headerAuth) {
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      problem('secret must be an object of header names and values for auth headers');
      return undefined;
    }
    const entries = Object.entries(raw as Record<string, unknown>);
    if (entries.length < 1 || entries.length > 10) problem('secret must set 1 to 10 headers');
    for (const [name, value] of entries) {
      if (!HEADER_NAME.test(name) || RESERVED_HEADERS.has(name.toLowerCase()))
        problem(`secret sets a header that is not allowed: ${name.slice(0, 100)}`);
      if (typeof value !== 'string' || !validSecretText(value))
        problem(`secret's ${name.slice(0, 100)} must be a non-empty string without line breaks`);
    }
    return problems.length === 0 ? JSON.stringify(raw) : undefined;
  }
  if (typeof raw !== 'string' || !validSecretText(raw)) {
    problem(`secret must be a non-empty string (up to ${MAX_SECRET_LENGTH} characters, no line breaks or NUL)`);
    return undefined;
  }
  return raw;
}

function validSecretText(value: string): boolean {
  // eslint-disable-next-line no-control-regex -- CR, LF and NUL are exactly what a header or a login cannot carry
  return value.length > 0 && value.length <= MAX_SECRET_LENGTH && !/[\r\n\u0000]/.test(value);
}

function normalize(
  kind: ConnectionKind,
  s: Record<string, unknown>,
  secret: string | undefined,
  previousHeaders: string[] | undefined,
): Record<string, unknown> {
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  switch (kind) {
    case ConnectionKind.Smtp: {
      const tls = (s.tls as TlsMode | undefined) ?? 'starttls';
      return defined({ ...s, tls, port: s.port ?? defaultPort(tls, 465, 587) });
    }
    case ConnectionKind.Imap: {
      const tls = (s.tls as TlsMode | undefined) ?? 'tls';
      return defined({ ...s, tls, port: s.port ?? defaultPort(tls, 993, 143), mailbox: s.mailbox ?? 'INBOX' });
    }
    case ConnectionKind.Caldav:
      return defined({ ...s });
    case ConnectionKind.Http: {
      const auth = (s.auth as string | undefined) ?? 'bearer';
      const headers =
        auth === 'headers' ? (secret ? Object.keys(JSON.parse(secret) as object) : previousHeaders) : undefined;
      return defined({ origin: new URL(s.origin as string).origin, auth, headers });
    }
  }
}

/** The settings that say where, and in what form, the secret goes. */
const SECRET_BOUND: Record<ConnectionKind, string[]> = {
  [ConnectionKind.Smtp]: ['host', 'port', 'tls', 'username'],
  [ConnectionKind.Imap]: ['host', 'port', 'tls', 'username'],
  [ConnectionKind.Caldav]: ['url', 'username'],
  [ConnectionKind.Http]: ['origin', 'auth'],
};

/**
 * The settings a change moves the stored secret with: to another server, another login, in the
 * clear, or into another form (bearer ⇄ headers). Such a change must bring the secret again, or
 * whoever can PATCH could send the stored secret to a server of their choosing.
 */
export function secretBoundChanges(
  kind: ConnectionKind,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): string[] {
  return SECRET_BOUND[kind].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
}

/** The host and port a connection's client connects to (for the SSRF policy). */
export function destinationOf(kind: ConnectionKind, settings: Record<string, unknown>): URL {
  switch (kind) {
    case ConnectionKind.Smtp:
    case ConnectionKind.Imap:
      return new URL(`tcp://${hostForUrl(settings.host as string)}:${settings.port as number}`);
    case ConnectionKind.Caldav:
      return new URL(settings.url as string);
    case ConnectionKind.Http:
      return new URL(settings.origin as string);
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
