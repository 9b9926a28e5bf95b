import createClient, { type Client } from 'openapi-fetch';
import { sameOriginRedirects } from './redirects.js';
import { AosApiError, AosConnectionError, AosTimeoutError } from './errors.js';
import {
  eventStream,
  RETRIABLE_STATUSES,
  sleep,
  type EventStreamOptions,
  type StreamTransport,
} from './event-stream.js';
import { isFinished, isSettled, isTerminalEvent } from './run-status.js';
import type {
  Agent,
  AgentPage,
  ApiKeyPage,
  AgentStatus,
  AosEvent,
  ApprovalAnswer,
  Connection,
  ConnectionPage,
  ConnectionTest,
  CreateAgent,
  CreateConnection,
  CreatedKey,
  CreateKey,
  CreateMemory,
  CreateTenant,
  CreateWebhook,
  CreatedWebhook,
  EventPage,
  Jwks,
  Memory,
  MemoryPage,
  Provenance,
  ReplayRequest,
  Run,
  RunAccepted,
  RunComparison,
  RunPage,
  RunStatus,
  SigningKey,
  SigningKeyList,
  Skill,
  SkillList,
  SubmitGoal,
  Tenant,
  TenantPage,
  TenantUsage,
  TokenGrant,
  TokenRequest,
  UpdateAgent,
  UpdateConnection,
  UpdateTenant,
  Webhook,
  WebhookPage,
} from './types.js';
import type { paths } from './generated/schema.js';
import { TokenSession, type TokenOptions } from './tokens.js';

export const DEFAULT_URL = 'http://127.0.0.1:8000';
export const API_KEY_HEADER = 'X-AOS-Key';
export const TENANT_HEADER = 'X-AOS-Tenant';
/** Where keys and refresh tokens are exchanged for access tokens. */
const TOKEN_PATH = '/auth/token';
/** The server's long-poll answers after at most this long (`?wait=` ≤ 60). */
const MAX_WAIT_SECONDS = 60;
/** The least time between two long-polls of waitForRun, however soon the first was answered. */
const MIN_POLL_INTERVAL_MS = 250;
const DEFAULT_RETRY_FOR_MS = 30_000;
const RETRY_BASE_DELAY_MS = 250;
const MAX_RETRY_DELAY_MS = 5_000;

/** A failure worth asking again: a gateway's 502-504, or no answer from a server that answered before. */
const isTransient = (error: unknown, answered: boolean) =>
  (error instanceof AosApiError && RETRIABLE_STATUSES.has(error.status)) ||
  (answered && error instanceof AosConnectionError);

export interface AosClientOptions {
  /** Default: `http://127.0.0.1:8000`. */
  baseUrl?: string;
  /** Sent as `X-AOS-Key`: the operator key (AOS_API_KEY) or a tenant key (`aos_…`). */
  apiKey?: string;
  /**
   * Send `Authorization: Bearer <access token>` instead of the key: the tenant key (`apiKey`) is
   * exchanged at POST /auth/token when first needed, the token is renewed with its refresh token
   * shortly before it expires (one renewal at a time, shared by concurrent requests), and a
   * request answered 401 is sent once more with a new one. A refresh token the server refuses
   * (spent elsewhere, revoked, expired) is replaced by exchanging the key again. The operator key
   * is not exchanged (the server answers 400 invalid_grant). Default: false.
   */
  tokens?: boolean | TokenOptions;
  /**
   * Sent as `X-AOS-Tenant` on every request, streams included: the tenant (id or slug) the
   * operator key acts in (`default` without it). A tenant key acts in its own tenant only; naming
   * another is answered 404.
   */
  tenant?: string;
  /** Another fetch (a proxy agent, a test double). Default: the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

export interface Paging {
  limit?: number;
  cursor?: string;
}

export interface WaitOptions {
  /** Give up after this long with an AosTimeoutError. Default: wait as long as it takes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Once the server has answered, a lost connection (reset, refused: a restart) or a 502, 503 or
   * 504 (a proxy in front of one) is retried with backoff for this long before it is thrown.
   * Default 30 s. A server that never answered fails at once (a wrong URL, a server down).
   */
  retryForMs?: number;
}

type Outcome<T> = { data?: T; error?: unknown; response: Response };

/**
 * A typed AOS client. Each method is one route and either returns the answer's body or throws:
 * `AosApiError` (the server refused: status and `detail`), `AosConnectionError` (no answer).
 * `api` is the underlying openapi-fetch client for anything the methods do not cover.
 */
export class AosClient {
  readonly baseUrl: string;
  readonly api: Client<paths>;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly headers: Record<string, string>;
  /** The caller's own headers: also on token exchanges, which carry no credential header. */
  private readonly extraHeaders: Record<string, string>;
  /** The key's tokens (with an `apiKey`); `bearer`: requests carry them instead of the key. */
  private readonly session: TokenSession | undefined;
  private readonly bearer: boolean;

  /**
   * Throws a TypeError for a `baseUrl` with a user name or password, or an `apiKey` or `tenant`
   * that cannot be a header value; the message quotes neither (fetch's own complaints would).
   */
  constructor(options: AosClientOptions = {}) {
    this.baseUrl = (options.baseUrl ?? DEFAULT_URL).replace(/\/+$/, '');
    if (hasCredentials(this.baseUrl))
      throw new TypeError('baseUrl must not contain a user name or password: give the key as apiKey');
    if (options.apiKey !== undefined && !isHeaderValue(options.apiKey))
      throw new TypeError('apiKey cannot be sent as a header: it holds a line break, NUL or a non-Latin-1 character');
    if (options.tenant !== undefined && !isHeaderValue(options.tenant))
      throw new TypeError('tenant cannot be sent as a header: it holds a line break, NUL or a non-Latin-1 character');
    this.bearer = options.tokens !== undefined && options.tokens !== false;
    if (this.bearer && !options.apiKey)
      throw new TypeError('tokens needs apiKey: the tenant key (aos_…) that is exchanged for them');
    const refreshBeforeMs = typeof options.tokens === 'object' ? options.tokens.refreshBeforeMs : undefined;
    if (refreshBeforeMs !== undefined && !(Number.isFinite(refreshBeforeMs) && refreshBeforeMs >= 0))
      throw new TypeError('tokens.refreshBeforeMs must be a number of milliseconds, 0 or more');
    // Called unbound: browsers refuse a fetch whose `this` is not the global object. Redirects
    // are followed only within the server's origin: the key goes nowhere else.
    this.fetchImpl = sameOriginRedirects(options.fetch ?? ((input, init) => globalThis.fetch(input, init)));
    this.extraHeaders = { ...options.headers };
    this.headers = {
      ...options.headers,
      ...(options.tenant ? { [TENANT_HEADER]: options.tenant } : {}),
      ...(options.apiKey && !this.bearer ? { [API_KEY_HEADER]: options.apiKey } : {}),
    };
    this.session = options.apiKey
      ? new TokenSession(
          (request) => this.exchangeToken(request),
          options.apiKey,
          typeof options.tokens === 'object' ? options.tokens : {},
        )
      : undefined;
    this.api = createClient<paths>({
      baseUrl: this.baseUrl,
      headers: this.headers,
      fetch: (request) => this.send(request),
    });
  }

  // Agents

  createAgent(body: CreateAgent): Promise<Agent> {
    return this.body(this.api.POST('/agents', { body }));
  }

  listAgents(query: Paging & { status?: AgentStatus } = {}): Promise<AgentPage> {
    return this.body(this.api.GET('/agents', { params: { query } }));
  }

  getAgent(id: string): Promise<Agent> {
    return this.body(this.api.GET('/agents/{id}', { params: { path: { id } } }));
  }

  updateAgent(id: string, body: UpdateAgent): Promise<Agent> {
    return this.body(this.api.PATCH('/agents/{id}', { params: { path: { id } }, body }));
  }

  pauseAgent(id: string): Promise<Agent> {
    return this.body(this.api.POST('/agents/{id}/pause', { params: { path: { id } } }));
  }

  resumeAgent(id: string): Promise<Agent> {
    return this.body(this.api.POST('/agents/{id}/resume', { params: { path: { id } } }));
  }

  stopAgent(id: string): Promise<Agent> {
    return this.body(this.api.POST('/agents/{id}/stop', { params: { path: { id } } }));
  }

  async deleteAgent(id: string): Promise<void> {
    await this.body(this.api.DELETE('/agents/{id}', { params: { path: { id } } }));
  }

  // Goals and runs

  submitGoal(agentId: string, body: SubmitGoal, options: { idempotencyKey?: string } = {}): Promise<RunAccepted> {
    return this.body(
      this.api.POST('/agents/{id}/goals', {
        params: {
          path: { id: agentId },
          header: options.idempotencyKey ? { 'Idempotency-Key': options.idempotencyKey } : undefined,
        },
        body,
      }),
    );
  }

  listRuns(agentId: string, query: Paging & { status?: RunStatus } = {}): Promise<RunPage> {
    return this.body(this.api.GET('/agents/{id}/runs', { params: { path: { id: agentId }, query } }));
  }

  /** `wait` (≤ 60 s): answer once the run is settled, or after that long with the run as it is. */
  getRun(agentId: string, runId: string, options: { wait?: number; signal?: AbortSignal } = {}): Promise<Run> {
    return this.body(
      this.api.GET('/agents/{id}/runs/{run_id}', {
        params: { path: { id: agentId, run_id: runId }, query: options.wait ? { wait: options.wait } : undefined },
        signal: options.signal,
      }),
    );
  }

  cancelRun(agentId: string, runId: string): Promise<Run> {
    return this.body(
      this.api.POST('/agents/{id}/runs/{run_id}/cancel', { params: { path: { id: agentId, run_id: runId } } }),
    );
  }

  /** Approves `tool_call_id`, or every call the run waits on when it is omitted. */
  approveRun(agentId: string, runId: string, body: ApprovalAnswer = {}): Promise<Run> {
    return this.body(
      this.api.POST('/agents/{id}/runs/{run_id}/approve', { params: { path: { id: agentId, run_id: runId } }, body }),
    );
  }

  rejectRun(agentId: string, runId: string, body: ApprovalAnswer = {}): Promise<Run> {
    return this.body(
      this.api.POST('/agents/{id}/runs/{run_id}/reject', { params: { path: { id: agentId, run_id: runId } }, body }),
    );
  }

  /** Starts a new run that replays a finished one (the new run's `replay_of` names the original). */
  replayRun(agentId: string, runId: string, body: ReplayRequest): Promise<RunAccepted> {
    return this.body(
      this.api.POST('/agents/{id}/runs/{run_id}/replay', { params: { path: { id: agentId, run_id: runId } }, body }),
    );
  }

  compareRuns(agentId: string, runId: string, otherRunId: string): Promise<RunComparison> {
    return this.body(
      this.api.GET('/agents/{id}/runs/{run_id}/compare/{other_run_id}', {
        params: { path: { id: agentId, run_id: runId, other_run_id: otherRunId } },
      }),
    );
  }

  /**
   * Resolves with the run once it is settled (completed, failed, partial, cancelled or
   * waiting_approval), holding one long-poll open at a time (at most four a second, however soon
   * they are answered); rejects with AosTimeoutError at the deadline (to within a second: the
   * server's wait is in whole seconds). Transient failures are retried (`retryForMs`).
   */
  async waitForRun(agentId: string, runId: string, options: WaitOptions = {}): Promise<Run> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    const retryForMs = options.retryForMs ?? DEFAULT_RETRY_FOR_MS;
    let last: Run | undefined;
    let answered = false;
    let failingSince: number | undefined;
    let failures = 0;
    for (;;) {
      const remainingS = Math.ceil((deadline - Date.now()) / 1000);
      const wait = Math.max(1, Math.min(MAX_WAIT_SECONDS, remainingS));
      const asked = Date.now();
      let pauseMs: number;
      try {
        const run = await this.getRun(agentId, runId, { wait, signal: options.signal });
        if (isSettled(run.status)) return run;
        last = run;
        answered = true;
        failingSince = undefined;
        failures = 0;
        // An answer sooner than asked for (the run changed, or a proxy cut the poll short) is
        // not a reason to ask again at once, over and over.
        pauseMs = MIN_POLL_INTERVAL_MS - (Date.now() - asked);
      } catch (error) {
        if (options.signal?.aborted || !isTransient(error, answered)) throw error;
        failingSince ??= asked;
        if (Date.now() - failingSince >= retryForMs) throw error;
        pauseMs = Math.min(MAX_RETRY_DELAY_MS, RETRY_BASE_DELAY_MS * 2 ** failures++);
      }
      if (pauseMs > 0 && !(await sleep(Math.min(pauseMs, Math.max(0, deadline - Date.now())), options.signal)))
        options.signal?.throwIfAborted();
      if (Date.now() >= deadline) throw new AosTimeoutError(options.timeoutMs ?? 0, last);
    }
  }

  // Events

  listEvents(agentId: string, query: { after?: number; type?: string; limit?: number } = {}): Promise<EventPage> {
    return this.body(this.api.GET('/agents/{id}/events', { params: { path: { id: agentId }, query } }));
  }

  /**
   * One run's events as they happen (history first), resuming after dropped connections; ends
   * after the run's terminal event (run.completed, run.failed, run.partial, run.cancelled).
   */
  runEvents(
    agentId: string,
    runId: string,
    options: EventStreamOptions = {},
  ): AsyncGenerator<AosEvent, void, undefined> {
    const path = `/agents/${encodeURIComponent(agentId)}/runs/${encodeURIComponent(runId)}/events/stream`;
    return eventStream(this.transport(), path, options, {
      isLast: (event) => event.run_id === runId && isTerminalEvent(event),
      // A type filter hides the terminal event; the run itself says whether it is over. A server
      // going down ends its streams too: unanswered, the stream is resumed once it is back.
      endedCleanly: () =>
        this.getRun(agentId, runId).then(
          (run) => isFinished(run.status),
          () => false,
        ),
    });
  }

  /** Every event of an agent, history first, then live, for as long as the caller reads. */
  agentEvents(agentId: string, options: EventStreamOptions = {}): AsyncGenerator<AosEvent, void, undefined> {
    return eventStream(this.transport(), `/agents/${encodeURIComponent(agentId)}/events/stream`, options);
  }

  /** Every event of every agent of the credential's tenant, history first, then live. */
  tenantEvents(options: EventStreamOptions = {}): AsyncGenerator<AosEvent, void, undefined> {
    return eventStream(this.transport(), '/events/stream', options);
  }

  // Memory

  addMemory(agentId: string, body: CreateMemory): Promise<Memory> {
    return this.body(this.api.POST('/agents/{id}/memory', { params: { path: { id: agentId } }, body }));
  }

  recall(
    agentId: string,
    query: Paging & { query?: string; memory_type?: Memory['memory_type']; since?: string; until?: string } = {},
  ): Promise<MemoryPage> {
    return this.body(this.api.GET('/agents/{id}/recall', { params: { path: { id: agentId }, query } }));
  }

  async deleteMemory(agentId: string, memoryId: string): Promise<void> {
    await this.body(
      this.api.DELETE('/agents/{id}/memory/{memory_id}', { params: { path: { id: agentId, memory_id: memoryId } } }),
    );
  }

  // Provenance and skills

  getProvenance(agentId: string, runId: string): Promise<Provenance> {
    return this.body(
      this.api.GET('/agents/{id}/provenance/{prov_id}', { params: { path: { id: agentId, prov_id: runId } } }),
    );
  }

  listSkills(): Promise<SkillList> {
    return this.body(this.api.GET('/skills'));
  }

  getSkill(skillId: string): Promise<Skill> {
    return this.body(this.api.GET('/skills/{skill_id}', { params: { path: { skill_id: skillId } } }));
  }

  // Connections

  listConnections(agentId: string, query: Paging = {}): Promise<ConnectionPage> {
    return this.body(this.api.GET('/agents/{id}/connections', { params: { path: { id: agentId }, query } }));
  }

  getConnection(agentId: string, connectionId: string): Promise<Connection> {
    return this.body(
      this.api.GET('/agents/{id}/connections/{connection_id}', {
        params: { path: { id: agentId, connection_id: connectionId } },
      }),
    );
  }

  createConnection(agentId: string, body: CreateConnection): Promise<Connection> {
    return this.body(this.api.POST('/agents/{id}/connections', { params: { path: { id: agentId } }, body }));
  }

  /** Renames, replaces the settings or rotates the secret (settings that move the secret need it again). */
  updateConnection(agentId: string, connectionId: string, body: UpdateConnection): Promise<Connection> {
    return this.body(
      this.api.PATCH('/agents/{id}/connections/{connection_id}', {
        params: { path: { id: agentId, connection_id: connectionId } },
        body,
      }),
    );
  }

  testConnection(agentId: string, connectionId: string): Promise<ConnectionTest> {
    return this.body(
      this.api.POST('/agents/{id}/connections/{connection_id}/test', {
        params: { path: { id: agentId, connection_id: connectionId } },
      }),
    );
  }

  async deleteConnection(agentId: string, connectionId: string): Promise<void> {
    await this.body(
      this.api.DELETE('/agents/{id}/connections/{connection_id}', {
        params: { path: { id: agentId, connection_id: connectionId } },
      }),
    );
  }

  // Webhooks

  listWebhooks(agentId: string, query: Paging = {}): Promise<WebhookPage> {
    return this.body(this.api.GET('/agents/{id}/webhooks', { params: { path: { id: agentId }, query } }));
  }

  /** The answer carries the signing secret; it is shown only here. */
  createWebhook(agentId: string, body: CreateWebhook): Promise<CreatedWebhook> {
    return this.body(this.api.POST('/agents/{id}/webhooks', { params: { path: { id: agentId } }, body }));
  }

  getWebhook(agentId: string, webhookId: string): Promise<Webhook> {
    return this.body(
      this.api.GET('/agents/{id}/webhooks/{webhook_id}', { params: { path: { id: agentId, webhook_id: webhookId } } }),
    );
  }

  async deleteWebhook(agentId: string, webhookId: string): Promise<void> {
    await this.body(
      this.api.DELETE('/agents/{id}/webhooks/{webhook_id}', {
        params: { path: { id: agentId, webhook_id: webhookId } },
      }),
    );
  }

  // Tenants (operator) and keys (operator, or an admin key of the tenant)

  createTenant(body: CreateTenant): Promise<Tenant> {
    return this.body(this.api.POST('/tenants', { body }));
  }

  listTenants(query: Paging = {}): Promise<TenantPage> {
    return this.body(this.api.GET('/tenants', { params: { query } }));
  }

  /** `tenantId`: its id or slug (so for every tenant route). */
  getTenant(tenantId: string): Promise<Tenant> {
    return this.body(this.api.GET('/tenants/{tenant_id}', { params: { path: { tenant_id: tenantId } } }));
  }

  /**
   * Renames it, suspends it (its keys are refused) or makes it active again, or changes its
   * limits: `{limits: {agents: 20, requests_per_minute: null}}` sets one and removes another
   * (limits not named keep their value).
   */
  updateTenant(tenantId: string, body: UpdateTenant): Promise<Tenant> {
    return this.body(this.api.PATCH('/tenants/{tenant_id}', { params: { path: { tenant_id: tenantId } }, body }));
  }

  /** Refused (409) while it has agents, unless `cascade`: then its agents and keys go with it. */
  async deleteTenant(tenantId: string, options: { cascade?: boolean } = {}): Promise<void> {
    await this.body(
      this.api.DELETE('/tenants/{tenant_id}', {
        params: { path: { tenant_id: tenantId }, query: options.cascade ? { cascade: true } : undefined },
      }),
    );
  }

  /**
   * A tenant's usage per UTC day (operator): model calls and tokens by provider and model, runs by
   * status. `from`..`to` (YYYY-MM-DD, both included): at most 366 days; default the last 30.
   */
  tenantUsage(tenantId: string, query: { from?: string; to?: string } = {}): Promise<TenantUsage> {
    return this.body(this.api.GET('/tenants/{tenant_id}/usage', { params: { path: { tenant_id: tenantId }, query } }));
  }

  /** The tenant this client's credential acts in (an admin key's own, or the operator's `tenant`). */
  getOwnTenant(): Promise<Tenant> {
    return this.body(this.api.GET('/tenant'));
  }

  /** The usage of the tenant this client's credential acts in (an admin key), as `tenantUsage`. */
  usage(query: { from?: string; to?: string } = {}): Promise<TenantUsage> {
    return this.body(this.api.GET('/tenant/usage', { params: { query } }));
  }

  /** The answer carries the whole key (`key`); it is shown only here. */
  createKey(tenantId: string, body: CreateKey): Promise<CreatedKey> {
    return this.body(this.api.POST('/tenants/{tenant_id}/keys', { params: { path: { tenant_id: tenantId } }, body }));
  }

  /** A tenant's live keys (their prefix, never the key). */
  listKeys(tenantId: string, query: Paging = {}): Promise<ApiKeyPage> {
    return this.body(this.api.GET('/tenants/{tenant_id}/keys', { params: { path: { tenant_id: tenantId }, query } }));
  }

  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    await this.body(
      this.api.DELETE('/tenants/{tenant_id}/keys/{key_id}', {
        params: { path: { tenant_id: tenantId, key_id: keyId } },
      }),
    );
  }

  // Tokens and signing keys

  /**
   * An access token of this client's key (a tenant key), for another program to send as
   * `Authorization: Bearer`: exchanged once, then renewed as it nears expiry, like the ones
   * `tokens: true` sends. Rejects with the server's refusal (AosApiError: 400 invalid_grant for
   * a wrong, revoked or operator key; 503 when the server cannot sign tokens).
   */
  token(): Promise<string> {
    if (!this.session) return Promise.reject(new TypeError('token() needs apiKey: a tenant key (aos_…)'));
    return this.session.current();
  }

  /**
   * POST /auth/token as given (`{grant_type: 'api_key', api_key}` or `{grant_type:
   * 'refresh_token', refresh_token}`): a new access token and refresh token, which this client does
   * not keep (`token()` manages its own). A refusal carries the OAuth `error` in `body`.
   */
  async exchangeToken(request: TokenRequest): Promise<TokenGrant> {
    let response: Response;
    try {
      // No credential header: the grant is the credential. No X-AOS-Tenant: a token acts in its key's.
      response = await this.fetchImpl(`${this.baseUrl}${TOKEN_PATH}`, {
        method: 'POST',
        headers: { ...this.extraHeaders, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(request),
      });
    } catch (error) {
      throw new AosConnectionError(this.baseUrl, error);
    }
    if (!response.ok) throw await AosApiError.from(response);
    return (await response.json()) as TokenGrant;
  }

  /** The public keys of the tokens this server signs (JWKS): what verifiers of its tokens fetch. */
  jwks(): Promise<Jwks> {
    return this.body(this.api.GET('/.well-known/jwks.json'));
  }

  /** The signing keys (operator): which one signs (`retired_at` null), which only verify. */
  signingKeys(): Promise<SigningKeyList> {
    return this.body(this.api.GET('/signing-keys'));
  }

  /** A new signing key signs every new token (operator); tokens the old one signed verify until they expire. */
  rotateSigningKey(): Promise<SigningKey> {
    return this.body(this.api.POST('/signing-keys/rotate'));
  }

  /** The body of a 2xx, or the server's refusal as an AosApiError. */
  private async body<T>(pending: Promise<Outcome<T>>): Promise<T> {
    const { data, error, response } = await pending;
    if (!response.ok) throw AosApiError.fromBody(response, error);
    return data as T;
  }

  /** fetch, with "no answer at all" told apart from the server's refusals. */
  private async send(request: Request): Promise<Response> {
    try {
      return await (this.bearer ? this.withToken(request) : this.fetchImpl(request));
    } catch (error) {
      // A token exchange that failed has said why already.
      if (request.signal.aborted || error instanceof AosApiError || error instanceof AosConnectionError) throw error;
      throw new AosConnectionError(this.baseUrl, error);
    }
  }

  /** The request with the access token; answered 401, once more with a new token. */
  private async withToken(request: Request): Promise<Response> {
    const session = this.session!;
    const again = request.clone();
    const token = await session.current();
    request.headers.set('authorization', `Bearer ${token}`);
    const response = await this.fetchImpl(request);
    if (response.status !== 401) return response;
    const fresh = await session.replace(token);
    await response.body?.cancel().catch(() => undefined);
    again.headers.set('authorization', `Bearer ${fresh}`);
    return this.fetchImpl(again);
  }

  private transport(): StreamTransport {
    return {
      url: (path, query) => {
        const url = new URL(this.baseUrl + path);
        for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value);
        return url.toString();
      },
      headers: () => ({ ...this.headers }),
      fetch: (input, init) => (this.bearer ? this.withToken(new Request(input, init)) : this.fetchImpl(input, init)),
    };
  }
}

function hasCredentials(baseUrl: string): boolean {
  try {
    const url = new URL(baseUrl);
    return url.username !== '' || url.password !== '';
  } catch {
    // Not an absolute URL (a path on the page's own origin, in a browser): nothing to hide.
    return false;
  }
}

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const isHeaderValue = (value: string) => !/[\r\n\0]|[^\u0000-\u00ff]/.test(value);

export function createAosClient(options: AosClientOptions = {}): AosClient {
  return new AosClient(options);
}
