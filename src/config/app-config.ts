import { isIP } from 'node:net';
import { parseVariables, type LogLevel, type NodeEnv, type Variables } from './variables';

/** Thrown when the environment cannot produce a valid configuration; its message names the variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface LlmProviderConfig {
  readonly apiKey: string;
  /** Operator-configured: not subject to http_call's SSRF policy (a local model server is fine). */
  readonly baseUrl: string | undefined;
  readonly model: string;
}

/** What the tokens AOS signs say, and which external tokens it accepts. */
export interface IdentityConfig {
  /** `iss` of AOS's own tokens: AOS_PUBLIC_URL, else `urn:aos`. */
  readonly issuer: string;
  /** `aud` of access tokens: AOS_TOKEN_AUDIENCE, else the issuer. */
  readonly audience: string;
  readonly accessTtlS: number;
  readonly refreshTtlS: number;
  readonly oidc: OidcConfig | undefined;
}

export interface OidcConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly tenantClaim: string;
  readonly scopeClaim: string;
  readonly algorithms: string[];
}

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
  readonly identity: IdentityConfig;
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
  /** `legacy`: the default tenant's events keep the subjects from before tenancy. */
  readonly natsSubjects: 'tenant' | 'legacy';
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

const MIN_PRODUCTION_KEY_LENGTH = 32;
const KNOWN_WEAK_KEYS = new Set(['changeme', 'change-me', 'secret', 'password', 'dev-key', 'test', 'aos', 'nova']);

/** Why a key is too weak for production, or undefined when it is acceptable. */
export function weakApiKeyReason(key: string): string | undefined {
  if (KNOWN_WEAK_KEYS.has(key.toLowerCase())) return 'is a well-known default';
  if (key.length < MIN_PRODUCTION_KEY_LENGTH) return `is shorter than ${MIN_PRODUCTION_KEY_LENGTH} characters`;
  if (new Set(key).size < 10) return 'uses fewer than 10 distinct characters';
  return undefined;
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

function serverLimits(vars: Variables): AppConfig['server'] {
  const requestTimeoutMs = vars.AOS_REQUEST_TIMEOUT_MS;
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
    keepAliveTimeoutMs: vars.AOS_KEEPALIVE_TIMEOUT_MS,
    idleTimeoutMs: vars.AOS_IDLE_TIMEOUT_MS,
    maxConnections: vars.AOS_MAX_CONNECTIONS,
  };
}

function identityConfig(vars: Variables): IdentityConfig {
  const issuer = vars.AOS_PUBLIC_URL?.replace(/\/+$/, '') ?? 'urn:aos';
  let oidc: OidcConfig | undefined;
  if (vars.AOS_OIDC_ISSUER !== undefined) {
    if (vars.AOS_OIDC_AUDIENCE === undefined || vars.AOS_OIDC_AUDIENCE.trim() === '') {
      throw new ConfigError('AOS_OIDC_AUDIENCE is required with AOS_OIDC_ISSUER (the aud its tokens carry for AOS)');
    }
    if (vars.AOS_OIDC_ISSUER.replace(/\/+$/, '') === issuer) {
      throw new ConfigError('AOS_OIDC_ISSUER must not be AOS_PUBLIC_URL: that issuer is AOS itself');
    }
    oidc = {
      issuer: vars.AOS_OIDC_ISSUER,
      audience: vars.AOS_OIDC_AUDIENCE,
      tenantClaim: vars.AOS_OIDC_TENANT_CLAIM,
      scopeClaim: vars.AOS_OIDC_SCOPE_CLAIM,
      algorithms: vars.AOS_OIDC_ALGORITHMS.split(','),
    };
  }
  return {
    issuer,
    audience: vars.AOS_TOKEN_AUDIENCE?.trim() || issuer,
    accessTtlS: vars.AOS_ACCESS_TOKEN_TTL_S,
    refreshTtlS: vars.AOS_REFRESH_TOKEN_TTL_S,
    oidc,
  };
}

function parseTrustProxy(raw: string | undefined): boolean | number {
  if (raw === undefined || raw.toLowerCase() === 'false') return false;
  if (raw.toLowerCase() === 'true') return true;
  return Number(raw);
}
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
  const { variables: vars, problems } = parseVariables(env);
  if (problems.length > 0) throw new ConfigError(`Invalid environment: ${problems.join(', ')}`);
  const nodeEnv = vars.NODE_ENV;
  const isProduction = nodeEnv === 'production';
  const apiKey = vars.AOS_API_KEY;
  if (isProduction) {
    if (apiKey === undefined) throw new ConfigError('AOS_API_KEY is required in production');
    const weak = weakApiKeyReason(apiKey);
    if (weak) throw new ConfigError(`AOS_API_KEY ${weak}; production needs a strong random key`);
  }
  const host = vars.HOST;
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
    port: vars.PORT,
    logLevel: vars.LOG_LEVEL,
    logPretty: vars.LOG_PRETTY,
    corsOrigins,
    bodyLimitBytes: vars.AOS_BODY_LIMIT,
    server: serverLimits(vars),
    dataDir: vars.AOS_DATA_DIR,
    embeddedPostgresPort: vars.AOS_EMBEDDED_PG_PORT,
    embeddedPostgresRuntimeDir: vars.AOS_EMBEDDED_PG_RUNTIME_DIR,
    migrationsRun: vars.AOS_MIGRATIONS_RUN,
    dbPoolSize: vars.AOS_DB_POOL_SIZE,
    rateLimitPerMinute: vars.AOS_RATE_LIMIT_PER_MINUTE,
    identity: identityConfig(vars),
    gitCommit: vars.AOS_GIT_COMMIT,
    trustProxy: parseTrustProxy(vars.AOS_TRUST_PROXY),
    role: vars.AOS_ROLE,
    workerConcurrency: vars.AOS_WORKER_CONCURRENCY,
    workerPollMs: vars.AOS_WORKER_POLL_MS,
    runLeaseMs: vars.AOS_RUN_LEASE_MS,
    runRetryBaseMs: vars.AOS_RUN_RETRY_BASE_MS,
    runRetryMaxMs: vars.AOS_RUN_RETRY_MAX_MS,
    metricsToken: vars.AOS_METRICS_TOKEN,
    runMaxAttempts: vars.AOS_RUN_MAX_ATTEMPTS,
    shutdownGraceMs: vars.AOS_SHUTDOWN_GRACE_MS,
    llm: {
      anthropic: vars.ANTHROPIC_API_KEY
        ? {
            apiKey: vars.ANTHROPIC_API_KEY,
            baseUrl: vars.ANTHROPIC_BASE_URL,
            model: vars.AOS_ANTHROPIC_MODEL,
          }
        : undefined,
      openai: vars.OPENAI_API_KEY
        ? {
            apiKey: vars.OPENAI_API_KEY,
            baseUrl: vars.OPENAI_BASE_URL,
            model: vars.AOS_OPENAI_MODEL,
          }
        : undefined,
      maxRetries: vars.AOS_LLM_MAX_RETRIES,
      timeoutMs: vars.AOS_LLM_TIMEOUT_MS,
      maxOutputTokens: vars.AOS_LLM_MAX_OUTPUT_TOKENS,
      runMaxTokens: vars.AOS_RUN_MAX_TOKENS,
      maxWaitMs: vars.AOS_LLM_MAX_WAIT_MS,
      retryBaseMs: vars.AOS_LLM_RETRY_BASE_MS,
      retryMaxMs: vars.AOS_LLM_RETRY_MAX_MS,
      baseUrlsWithoutKey: [
        ...(vars.ANTHROPIC_BASE_URL && !vars.ANTHROPIC_API_KEY ? (['anthropic'] as const) : []),
        ...(vars.OPENAI_BASE_URL && !vars.OPENAI_API_KEY ? (['openai'] as const) : []),
      ],
    },
    events: {
      heartbeatMs: vars.AOS_SSE_HEARTBEAT_MS,
      pollMs: vars.AOS_EVENT_POLL_MS,
      retentionDays: vars.AOS_EVENT_RETENTION_DAYS,
      pruneIntervalMs: vars.AOS_EVENT_PRUNE_INTERVAL_MS,
    },
    natsUrl: vars.AOS_NATS_URL,
    natsSubjects: vars.AOS_NATS_SUBJECTS,
    webhooks: {
      allowHosts: parseAllowHosts(vars.AOS_WEBHOOK_ALLOW_HOSTS, 'AOS_WEBHOOK_ALLOW_HOSTS'),
      timeoutMs: vars.AOS_WEBHOOK_TIMEOUT_MS,
      retryBaseMs: vars.AOS_WEBHOOK_RETRY_BASE_MS,
      retryMaxMs: vars.AOS_WEBHOOK_RETRY_MAX_MS,
      giveUpMs: vars.AOS_WEBHOOK_GIVE_UP_MS,
      secretGraceMs: vars.AOS_WEBHOOK_SECRET_GRACE_MS,
      disableAfterFailures: vars.AOS_WEBHOOK_DISABLE_AFTER_FAILURES,
      maxBacklogMs: Math.round(vars.AOS_WEBHOOK_MAX_BACKLOG_HOURS * 3_600_000),
    },
    secrets: {
      key: parseSecretKey(vars.AOS_SECRET_KEY, 'AOS_SECRET_KEY'),
      previousKey: parseSecretKey(vars.AOS_SECRET_KEY_PREVIOUS, 'AOS_SECRET_KEY_PREVIOUS'),
    },
    connections: {
      allowHosts: parseAllowHosts(vars.AOS_CONNECTION_ALLOW_HOSTS, 'AOS_CONNECTION_ALLOW_HOSTS'),
      timeoutMs: vars.AOS_CONNECTION_TIMEOUT_MS,
    },
    approvalTtlMs: vars.AOS_APPROVAL_TTL_MS,
    parsing: {
      timeoutMs: vars.AOS_PARSE_TIMEOUT_MS,
      threads: vars.AOS_PARSE_THREADS,
    },
    http: {
      allowHosts: parseAllowHosts(vars.AOS_HTTP_ALLOW_HOSTS, 'AOS_HTTP_ALLOW_HOSTS'),
      timeoutMs: vars.AOS_HTTP_TIMEOUT_MS,
      maxResponseBytes: vars.AOS_HTTP_MAX_RESPONSE_BYTES,
      retries: vars.AOS_HTTP_RETRIES,
      retryBaseMs: vars.AOS_HTTP_RETRY_BASE_MS,
      retryMaxMs: vars.AOS_HTTP_RETRY_MAX_MS,
    },
  };
}
