import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  validateSync,
  ValidationError,
} from 'class-validator';
import { isIP } from 'node:net';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

/** Thrown when the environment cannot produce a valid configuration; its message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const emptyToUndefined = ({ value }: { value: unknown }) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const toInt = ({ value }: { value: unknown }) => {
  const v = emptyToUndefined({ value });
  return typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
};
const toNumber = ({ value }: { value: unknown }) => {
  const v = emptyToUndefined({ value });
  return typeof v === 'string' && /^\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v;
};
const toBool = ({ value }: { value: unknown }) => {
  const v = emptyToUndefined({ value });
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  return v;
};

/** The raw environment, one property per variable; validated once at start. */
class EnvironmentVariables {
  @IsOptional()
  @IsIn(NODE_ENVS)
  @Transform(emptyToUndefined)
  NODE_ENV?: NodeEnv;

  @IsOptional()
  @IsUrl(
    { protocols: ['postgres', 'postgresql'], require_tld: false, require_protocol: true },
    { message: 'must be a postgres:// or postgresql:// URL' },
  )
  @Transform(emptyToUndefined)
  DATABASE_URL?: string;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_API_KEY?: string;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  HOST?: string;

  @IsOptional()
  @IsInt({ message: 'must be an integer port number' })
  @Min(0)
  @Max(65535)
  @Transform(toInt)
  PORT?: number;

  @IsOptional()
  @IsIn(LOG_LEVELS)
  @Transform(emptyToUndefined)
  LOG_LEVEL?: LogLevel;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  @Transform(toBool)
  LOG_PRETTY?: boolean;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_CORS_ORIGINS?: string;

  @IsOptional()
  @IsInt({ message: 'must be a number of bytes' })
  @Min(1024)
  @Max(100 * 1024 * 1024)
  @Transform(toInt)
  AOS_BODY_LIMIT?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(600_000)
  @Transform(toInt)
  AOS_REQUEST_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(600_000)
  @Transform(toInt)
  AOS_HEADERS_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(600_000)
  @Transform(toInt)
  AOS_KEEPALIVE_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(1_000)
  @Max(3_600_000)
  @Transform(toInt)
  AOS_IDLE_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of connections' })
  @Min(16)
  @Max(1_000_000)
  @Transform(toInt)
  AOS_MAX_CONNECTIONS?: number;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_DATA_DIR?: string;

  @IsOptional()
  @IsInt({ message: 'must be an integer port number (0 picks a free port)' })
  @Min(0)
  @Max(65535)
  @Transform(toInt)
  AOS_EMBEDDED_PG_PORT?: number;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_EMBEDDED_PG_RUNTIME_DIR?: string;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  @Transform(toBool)
  AOS_MIGRATIONS_RUN?: boolean;

  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(200)
  @Transform(toInt)
  AOS_DB_POOL_SIZE?: number;

  @IsOptional()
  @IsInt({ message: 'must be an integer number of requests per minute (0 turns the limit off)' })
  @Min(0)
  @Transform(toInt)
  AOS_RATE_LIMIT_PER_MINUTE?: number;

  @IsOptional()
  @Matches(/^(true|false|\d{1,2})$/i, { message: 'must be true, false or a number of proxy hops' })
  @Transform(emptyToUndefined)
  AOS_TRUST_PROXY?: string;

  @IsOptional()
  @IsIn(['api', 'worker', 'all'])
  @Transform(emptyToUndefined)
  AOS_ROLE?: 'api' | 'worker' | 'all';

  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(1000)
  @Transform(toInt)
  AOS_WORKER_CONCURRENCY?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(60_000)
  @Transform(toInt)
  AOS_WORKER_POLL_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(600_000)
  @Transform(toInt)
  AOS_RUN_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(86_400_000)
  @Transform(toInt)
  AOS_RUN_RETRY_MAX_MS?: number;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_METRICS_TOKEN?: string;

  @IsOptional()
  @IsBoolean({ message: 'must be true or false' })
  @Transform(toBool)
  AOS_METRICS_PUBLIC?: boolean;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(300)
  @Max(600_000)
  @Transform(toInt)
  AOS_RUN_LEASE_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(1)
  @Max(20)
  @Transform(toInt)
  AOS_RUN_MAX_ATTEMPTS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(0)
  @Max(600_000)
  @Transform(toInt)
  AOS_SHUTDOWN_GRACE_MS?: number;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_HTTP_ALLOW_HOSTS?: string;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(120_000)
  @Transform(toInt)
  AOS_HTTP_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of bytes' })
  @Min(1024)
  @Max(100 * 1024 * 1024)
  @Transform(toInt)
  AOS_HTTP_MAX_RESPONSE_BYTES?: number;

  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(10)
  @Transform(toInt)
  AOS_HTTP_RETRIES?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(1)
  @Max(60_000)
  @Transform(toInt)
  AOS_HTTP_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(1)
  @Max(600_000)
  @Transform(toInt)
  AOS_HTTP_RETRY_MAX_MS?: number;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  ANTHROPIC_API_KEY?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'must be an http(s) URL' },
  )
  @Transform(emptyToUndefined)
  ANTHROPIC_BASE_URL?: string;

  @IsOptional()
  @Matches(/^[\w.:/@-]{1,200}$/, { message: 'must be a model name' })
  @Transform(emptyToUndefined)
  AOS_ANTHROPIC_MODEL?: string;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  OPENAI_API_KEY?: string;

  @IsOptional()
  @IsUrl(
    { protocols: ['http', 'https'], require_tld: false, require_protocol: true },
    { message: 'must be an http(s) URL' },
  )
  @Transform(emptyToUndefined)
  OPENAI_BASE_URL?: string;

  @IsOptional()
  @Matches(/^[\w.:/@-]{1,200}$/, { message: 'must be a model name' })
  @Transform(emptyToUndefined)
  AOS_OPENAI_MODEL?: string;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(3_600_000)
  @Transform(toInt)
  AOS_LLM_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be an integer' })
  @Min(0)
  @Max(10)
  @Transform(toInt)
  AOS_LLM_MAX_RETRIES?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of tokens' })
  @Min(16)
  @Max(128_000)
  @Transform(toInt)
  AOS_LLM_MAX_OUTPUT_TOKENS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of tokens' })
  @Min(1_000)
  @Max(100_000_000)
  @Transform(toInt)
  AOS_RUN_MAX_TOKENS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(1_000)
  @Max(7 * 86_400_000)
  @Transform(toInt)
  AOS_LLM_MAX_WAIT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(3_600_000)
  @Transform(toInt)
  AOS_LLM_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(86_400_000)
  @Transform(toInt)
  AOS_LLM_RETRY_MAX_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(300_000)
  @Transform(toInt)
  AOS_SSE_HEARTBEAT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(60_000)
  @Transform(toInt)
  AOS_EVENT_POLL_MS?: number;

  @IsOptional()
  @IsNumber({}, { message: 'must be a number of days' })
  @Min(0.0001)
  @Max(3650)
  @Transform(toNumber)
  AOS_EVENT_RETENTION_DAYS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(86_400_000)
  @Transform(toInt)
  AOS_EVENT_PRUNE_INTERVAL_MS?: number;

  @IsOptional()
  @Matches(/^(nats|tls|wss?):\/\/\S+$/, {
    message: 'must be a nats:// (or tls://, ws://, wss://) URL, or a comma-separated list of them',
  })
  @Transform(emptyToUndefined)
  AOS_NATS_URL?: string;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_WEBHOOK_ALLOW_HOSTS?: string;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(120_000)
  @Transform(toInt)
  AOS_WEBHOOK_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(3_600_000)
  @Transform(toInt)
  AOS_WEBHOOK_RETRY_BASE_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(10)
  @Max(86_400_000)
  @Transform(toInt)
  AOS_WEBHOOK_RETRY_MAX_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(30 * 86_400_000)
  @Transform(toInt)
  AOS_WEBHOOK_GIVE_UP_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(0)
  @Max(30 * 86_400_000)
  @Transform(toInt)
  AOS_WEBHOOK_SECRET_GRACE_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of failed attempts' })
  @Min(1)
  @Max(10_000)
  @Transform(toInt)
  AOS_WEBHOOK_DISABLE_AFTER_FAILURES?: number;

  @IsOptional()
  @IsNumber({}, { message: 'must be a number of hours' })
  @Min(0.0001)
  @Max(8_760)
  @Transform(toNumber)
  AOS_WEBHOOK_MAX_BACKLOG_HOURS?: number;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_SECRET_KEY?: string;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_SECRET_KEY_PREVIOUS?: string;

  @IsOptional()
  @IsString()
  @Transform(emptyToUndefined)
  AOS_CONNECTION_ALLOW_HOSTS?: string;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(300_000)
  @Transform(toInt)
  AOS_CONNECTION_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(30 * 86_400_000)
  @Transform(toInt)
  AOS_APPROVAL_TTL_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of milliseconds' })
  @Min(100)
  @Max(600_000)
  @Transform(toInt)
  AOS_PARSE_TIMEOUT_MS?: number;

  @IsOptional()
  @IsInt({ message: 'must be a number of threads' })
  @Min(1)
  @Max(64)
  @Transform(toInt)
  AOS_PARSE_THREADS?: number;

  @IsOptional()
  @Matches(/^[0-9a-f]{7,40}$/i, { message: 'must be a git commit hash' })
  @Transform(emptyToUndefined)
  AOS_GIT_COMMIT?: string;
}

export interface LlmProviderConfig {
  readonly apiKey: string;
  /** Operator-configured: not subject to http_call's SSRF policy (a local model server is fine). */
  readonly baseUrl: string | undefined;
  readonly model: string;
}

/** Current general-purpose models of each provider; agents and AOS_*_MODEL override them. */
export const DEFAULT_ANTHROPIC_MODEL = 'claude-sonnet-5-5';
export const DEFAULT_OPENAI_MODEL = 'gpt-5.5';

export interface AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly isProduction: boolean;
  /** Unset means: start the embedded PostgreSQL in `dataDir`. */
  readonly databaseUrl: string | undefined;
  readonly apiKey: string;
  /** How the key was obtained; `generated` only happens outside production. */
  readonly apiKeySource: 'environment' | 'generated' | 'data-dir';
  readonly host: string;
  readonly port: number;
  readonly logLevel: LogLevel;
  readonly logPretty: boolean;
  /** `true` allows any origin, `false` turns CORS off, a list allows exactly those origins. */
  readonly corsOrigins: true | false | string[];
  readonly bodyLimitBytes: number;
  /** How the HTTP server bounds its clients (streams and long-polls keep their own bounds). */
  readonly server: {
    /** The whole request, headers and body, must have arrived within this (else 408). */
    readonly requestTimeoutMs: number;
    /** The headers must have arrived within this. */
    readonly headersTimeoutMs: number;
    /** An idle keep-alive connection is closed after this. */
    readonly keepAliveTimeoutMs: number;
    /** A connection with no traffic either way is closed after this. */
    readonly idleTimeoutMs: number;
    /** Connections one instance holds open at once; more are refused. */
    readonly maxConnections: number;
  };
  readonly dataDir: string;
  readonly embeddedPostgresPort: number;
  /**
   * Used only when running as root and `dataDir` is out of the `postgres` user's reach: the
   * embedded cluster and a copy of its binaries are placed here instead, owned by that user.
   */
  readonly embeddedPostgresRuntimeDir: string;
  readonly migrationsRun: boolean;
  readonly dbPoolSize: number;
  readonly rateLimitPerMinute: number;
  readonly gitCommit: string | undefined;
  /**
   * Whether X-Forwarded-For names the client: `false` (the socket's peer is the client), `true`
   * (trust every hop) or a number of trusted proxy hops.
   */
  readonly trustProxy: boolean | number;
  /** `api` serves HTTP only, `worker` executes runs only, `all` both (one command starts everything). */
  readonly role: 'api' | 'worker' | 'all';
  readonly workerConcurrency: number;
  /** How often an idle worker looks for runs whose retry time came (NOTIFY wakes it otherwise). */
  readonly workerPollMs: number;
  readonly runLeaseMs: number;
  /** Backoff between attempts of a run: doubles from the base, capped at the max. */
  readonly runRetryBaseMs: number;
  readonly runRetryMaxMs: number;
  /** When set, GET /metrics needs `Authorization: Bearer <token>`; unset, it is public like the probes. */
  readonly metricsToken: string | undefined;
  readonly runMaxAttempts: number;
  readonly shutdownGraceMs: number;
  readonly llm: {
    /** Present when ANTHROPIC_API_KEY is set; a provider without a key is skipped. */
    readonly anthropic: LlmProviderConfig | undefined;
    readonly openai: LlmProviderConfig | undefined;
    /** The SDKs' own retries and per-request timeout, as they ship them. */
    readonly maxRetries: number;
    readonly timeoutMs: number;
    readonly maxOutputTokens: number;
    /** Input + output tokens one run may use. */
    readonly runMaxTokens: number;
    /** How long a run may wait for any model to answer before it fails. */
    readonly maxWaitMs: number;
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    /** Providers whose base URL is set without a key (skipped; worth a warning at start). */
    readonly baseUrlsWithoutKey: ('anthropic' | 'openai')[];
  };
  readonly events: {
    /** Comment lines that keep an idle stream (and the proxies on its way) open. */
    readonly heartbeatMs: number;
    /** How often an instance looks for events whose sequencing notification reached no one. */
    readonly pollMs: number;
    readonly retentionDays: number;
    readonly pruneIntervalMs: number;
  };
  /** Unset: no relay to NATS. */
  readonly natsUrl: string | undefined;
  readonly webhooks: {
    /** host or host:port entries webhooks may reach although private (not open to http_call). */
    readonly allowHosts: string[];
    readonly timeoutMs: number;
    /** Backoff between attempts: doubles from the base, capped at the max; given up after giveUpMs. */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
    readonly giveUpMs: number;
    /** After a rotation the previous secret signs too, for this long. */
    readonly secretGraceMs: number;
    /** Failed attempts in a row after which an endpoint is disabled. */
    readonly disableAfterFailures: number;
    /** An enabled endpoint's oldest undelivered events are dropped for it past this age (retention hold cap). */
    readonly maxBacklogMs: number;
  };
  readonly secrets: {
    /** AES-256 key sealing connection secrets; in development generated into the data directory. */
    readonly key: Buffer | undefined;
    /** The key before a rotation: what it sealed still opens, and is sealed again with `key`. */
    readonly previousKey: Buffer | undefined;
  };
  readonly connections: {
    /** host or host:port entries connections may reach although private (not open to http_call). */
    readonly allowHosts: string[];
    /** Connect, greeting and each protocol exchange of a connected skill. */
    readonly timeoutMs: number;
  };
  /** How long a tool call waits for a person before its run is cancelled. */
  readonly approvalTtlMs: number;
  /** Outside content that costs CPU to read (mail) is parsed in worker threads with a deadline. */
  readonly parsing: {
    readonly timeoutMs: number;
    readonly threads: number;
  };
  readonly http: {
    /** host or host:port entries the http_call skill may reach even when they are private. */
    readonly allowHosts: string[];
    readonly timeoutMs: number;
    readonly maxResponseBytes: number;
    readonly retries: number;
    /** Backoff between attempts: exponential from the base with jitter, Retry-After honoured, capped at the max. */
    readonly retryBaseMs: number;
    readonly retryMaxMs: number;
  };
}

/**
 * Runs in flight per instance. Runs spend nearly all their time waiting on networks and models, and
 * hold no database connection while they wait, so an instance keeps many in flight; each costs
 * about 150 KB while it waits (see README, Performance).
 */
export const DEFAULT_WORKER_CONCURRENCY = 100;
/** Connections per instance: enough for the worker's short bookkeeping statements and the API. */
export const DEFAULT_DB_POOL_SIZE = 20;

const MIN_PRODUCTION_KEY_LENGTH = 32;
const KNOWN_WEAK_KEYS = new Set(['changeme', 'change-me', 'secret', 'password', 'dev-key', 'test', 'aos', 'nova']);

/** Why a key is too weak for production, or undefined when it is acceptable. */
export function weakApiKeyReason(key: string): string | undefined {
  if (KNOWN_WEAK_KEYS.has(key.toLowerCase())) return 'is a well-known default';
  if (key.length < MIN_PRODUCTION_KEY_LENGTH) return `is shorter than ${MIN_PRODUCTION_KEY_LENGTH} characters`;
  if (new Set(key).size < 10) return 'uses fewer than 10 distinct characters';
  return undefined;
}

function describe(errors: ValidationError[]): string {
  return errors
    .map((e) => {
      const messages = Object.values(e.constraints ?? {}).map((m) => m.replace(new RegExp(`^${e.property} `), ''));
      return `${e.property} ${messages.join('; ')} (got ${JSON.stringify(e.value)})`;
    })
    .join(', ');
}

function parseCorsOrigins(raw: string | undefined, isProduction: boolean): AppConfig['corsOrigins'] {
  if (raw === undefined) return !isProduction;
  const value = raw.trim();
  if (value === '*') {
    if (isProduction) {
      throw new ConfigError('AOS_CORS_ORIGINS must list explicit origins in production, not "*"');
    }
    return true;
  }
  if (value.toLowerCase() === 'none') return false;
  const origins = value
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`AOS_CORS_ORIGINS has an invalid origin ${JSON.stringify(origin)}`);
    }
    if (url.origin !== origin.replace(/\/$/, '')) {
      throw new ConfigError(
        `AOS_CORS_ORIGINS entry ${JSON.stringify(origin)} must be a bare origin like https://app.example.com`,
      );
    }
  }
  return origins.map((o) => o.replace(/\/$/, ''));
}

function serverLimits(vars: EnvironmentVariables): AppConfig['server'] {
  const requestTimeoutMs = vars.AOS_REQUEST_TIMEOUT_MS ?? 30_000;
  const headersTimeoutMs = vars.AOS_HEADERS_TIMEOUT_MS ?? Math.min(10_000, requestTimeoutMs);
  // Node requires it: a request cannot have longer for its headers than for all of it.
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError(
      `AOS_HEADERS_TIMEOUT_MS (${headersTimeoutMs}) must not be longer than AOS_REQUEST_TIMEOUT_MS (${requestTimeoutMs})`,
    );
  }
  return {
    requestTimeoutMs,
    headersTimeoutMs,
    keepAliveTimeoutMs: vars.AOS_KEEPALIVE_TIMEOUT_MS ?? 5_000,
    idleTimeoutMs: vars.AOS_IDLE_TIMEOUT_MS ?? 60_000,
    maxConnections: vars.AOS_MAX_CONNECTIONS ?? 4_096,
  };
}

function parseTrustProxy(raw: string | undefined): boolean | number {
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  return Number(raw);
}
/** A 32-byte key given in base64 (`openssl rand -base64 32`), or a ConfigError naming the variable; empty is unset. */
/** A 32-byte key given in base64 (`openssl rand -base64 32`), or a ConfigError naming the variable. */
export function parseSecretKey(raw: string | undefined, variable: string): Buffer | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const text = raw.trim();
  const key = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  if (key.length !== 32) {
    throw new ConfigError(`${variable} must be 32 random bytes in base64 (e.g. openssl rand -base64 32)`);
  }
  return key;
}

function parseAllowHosts(raw: string | undefined, variable: string): string[] {
  if (raw === undefined) return [];
  const entries = raw
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  for (const entry of entries) {
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/.test(entry)) {
      throw new ConfigError(`${variable} entry ${JSON.stringify(entry)} must be host or host:port`);
    }
  }
  return entries;
}

/**
 * Parses and validates the environment once. Throws `ConfigError` whose message names the
 * offending variable; `main.ts` prints it as a single line and exits.
 * The API key may still be missing here outside production: `resolveApiKey` fills it in.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Omit<AppConfig, 'apiKey' | 'apiKeySource'> & {
  apiKey: string | undefined;
} {
  const vars = plainToInstance(EnvironmentVariables, { ...env }, { excludeExtraneousValues: false });
  const errors = validateSync(vars, { skipMissingProperties: false, whitelist: false, stopAtFirstError: true });
  if (errors.length > 0) {
    throw new ConfigError(`Invalid environment: ${describe(errors)}`);
  }
  const nodeEnv = vars.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';
  const apiKey = vars.AOS_API_KEY;
  if (isProduction) {
    if (apiKey === undefined) throw new ConfigError('AOS_API_KEY is required in production');
    const weak = weakApiKeyReason(apiKey);
    if (weak) throw new ConfigError(`AOS_API_KEY ${weak}; production needs a strong random key`);
  }
  const host = vars.HOST ?? '0.0.0.0';
  if (isIP(host) === 0 && !/^[a-z0-9.-]+$/i.test(host)) {
    throw new ConfigError(`HOST must be an IP address or host name (got ${JSON.stringify(host)})`);
  }
  const corsOrigins = parseCorsOrigins(vars.AOS_CORS_ORIGINS, isProduction);
  if (isProduction && vars.AOS_METRICS_TOKEN === undefined && vars.AOS_METRICS_PUBLIC !== true) {
    throw new ConfigError(
      'AOS_METRICS_TOKEN is required in production (scrapers send it as a bearer token); ' +
        'set AOS_METRICS_PUBLIC=true to serve /metrics without one',
    );
  }
  return {
    nodeEnv,
    isProduction,
    databaseUrl: vars.DATABASE_URL,
    apiKey,
    host,
    port: vars.PORT ?? 8000,
    logLevel: vars.LOG_LEVEL ?? 'info',
    logPretty: vars.LOG_PRETTY ?? false,
    corsOrigins,
    bodyLimitBytes: vars.AOS_BODY_LIMIT ?? 1024 * 1024,
    server: serverLimits(vars),
    dataDir: vars.AOS_DATA_DIR ?? '.aos-data',
    embeddedPostgresPort: vars.AOS_EMBEDDED_PG_PORT ?? 0,
    embeddedPostgresRuntimeDir: vars.AOS_EMBEDDED_PG_RUNTIME_DIR ?? '/var/lib/aos',
    migrationsRun: vars.AOS_MIGRATIONS_RUN ?? true,
    dbPoolSize: vars.AOS_DB_POOL_SIZE ?? DEFAULT_DB_POOL_SIZE,
    rateLimitPerMinute: vars.AOS_RATE_LIMIT_PER_MINUTE ?? 0,
    gitCommit: vars.AOS_GIT_COMMIT,
    trustProxy: parseTrustProxy(vars.AOS_TRUST_PROXY),
    role: vars.AOS_ROLE ?? 'all',
    workerConcurrency: vars.AOS_WORKER_CONCURRENCY ?? DEFAULT_WORKER_CONCURRENCY,
    workerPollMs: vars.AOS_WORKER_POLL_MS ?? 1_000,
    runLeaseMs: vars.AOS_RUN_LEASE_MS ?? 15_000,
    runRetryBaseMs: vars.AOS_RUN_RETRY_BASE_MS ?? 1_000,
    runRetryMaxMs: vars.AOS_RUN_RETRY_MAX_MS ?? 60_000,
    metricsToken: vars.AOS_METRICS_TOKEN,
    runMaxAttempts: vars.AOS_RUN_MAX_ATTEMPTS ?? 3,
    shutdownGraceMs: vars.AOS_SHUTDOWN_GRACE_MS ?? 10_000,
    llm: {
      anthropic: vars.ANTHROPIC_API_KEY
        ? {
            apiKey: vars.ANTHROPIC_API_KEY,
            baseUrl: vars.ANTHROPIC_BASE_URL,
            model: vars.AOS_ANTHROPIC_MODEL ?? DEFAULT_ANTHROPIC_MODEL,
          }
        : undefined,
      openai: vars.OPENAI_API_KEY
        ? {
            apiKey: vars.OPENAI_API_KEY,
            baseUrl: vars.OPENAI_BASE_URL,
            model: vars.AOS_OPENAI_MODEL ?? DEFAULT_OPENAI_MODEL,
          }
        : undefined,
      maxRetries: vars.AOS_LLM_MAX_RETRIES ?? 2,
      timeoutMs: vars.AOS_LLM_TIMEOUT_MS ?? 120_000,
      maxOutputTokens: vars.AOS_LLM_MAX_OUTPUT_TOKENS ?? 4_096,
      runMaxTokens: vars.AOS_RUN_MAX_TOKENS ?? 200_000,
      maxWaitMs: vars.AOS_LLM_MAX_WAIT_MS ?? 3_600_000,
      retryBaseMs: vars.AOS_LLM_RETRY_BASE_MS ?? 2_000,
      retryMaxMs: vars.AOS_LLM_RETRY_MAX_MS ?? 300_000,
      baseUrlsWithoutKey: [
        ...(vars.ANTHROPIC_BASE_URL && !vars.ANTHROPIC_API_KEY ? (['anthropic'] as const) : []),
        ...(vars.OPENAI_BASE_URL && !vars.OPENAI_API_KEY ? (['openai'] as const) : []),
      ],
    },
    events: {
      heartbeatMs: vars.AOS_SSE_HEARTBEAT_MS ?? 15_000,
      pollMs: vars.AOS_EVENT_POLL_MS ?? 1_000,
      retentionDays: vars.AOS_EVENT_RETENTION_DAYS ?? 7,
      pruneIntervalMs: vars.AOS_EVENT_PRUNE_INTERVAL_MS ?? 600_000,
    },
    natsUrl: vars.AOS_NATS_URL,
    webhooks: {
      allowHosts: parseAllowHosts(vars.AOS_WEBHOOK_ALLOW_HOSTS, 'AOS_WEBHOOK_ALLOW_HOSTS'),
      timeoutMs: vars.AOS_WEBHOOK_TIMEOUT_MS ?? 10_000,
      retryBaseMs: vars.AOS_WEBHOOK_RETRY_BASE_MS ?? 5_000,
      retryMaxMs: vars.AOS_WEBHOOK_RETRY_MAX_MS ?? 3_600_000,
      giveUpMs: vars.AOS_WEBHOOK_GIVE_UP_MS ?? 86_400_000,
      secretGraceMs: vars.AOS_WEBHOOK_SECRET_GRACE_MS ?? 86_400_000,
      disableAfterFailures: vars.AOS_WEBHOOK_DISABLE_AFTER_FAILURES ?? 15,
      maxBacklogMs: Math.round((vars.AOS_WEBHOOK_MAX_BACKLOG_HOURS ?? 72) * 3_600_000),
    },
    secrets: {
      key: parseSecretKey(vars.AOS_SECRET_KEY, 'AOS_SECRET_KEY'),
      previousKey: parseSecretKey(vars.AOS_SECRET_KEY_PREVIOUS, 'AOS_SECRET_KEY_PREVIOUS'),
    },
    connections: {
      allowHosts: parseAllowHosts(vars.AOS_CONNECTION_ALLOW_HOSTS, 'AOS_CONNECTION_ALLOW_HOSTS'),
      timeoutMs: vars.AOS_CONNECTION_TIMEOUT_MS ?? 15_000,
    },
    approvalTtlMs: vars.AOS_APPROVAL_TTL_MS ?? 86_400_000,
    parsing: {
      timeoutMs: vars.AOS_PARSE_TIMEOUT_MS ?? 10_000,
      threads: vars.AOS_PARSE_THREADS ?? 1,
    },
    http: {
      allowHosts: parseAllowHosts(vars.AOS_HTTP_ALLOW_HOSTS, 'AOS_HTTP_ALLOW_HOSTS'),
      timeoutMs: vars.AOS_HTTP_TIMEOUT_MS ?? 5_000,
      maxResponseBytes: vars.AOS_HTTP_MAX_RESPONSE_BYTES ?? 1024 * 1024,
      retries: vars.AOS_HTTP_RETRIES ?? 3,
      retryBaseMs: vars.AOS_HTTP_RETRY_BASE_MS ?? 200,
      retryMaxMs: vars.AOS_HTTP_RETRY_MAX_MS ?? 10_000,
    },
  };
}
