import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { AxiosError, AxiosResponse, isAxiosError } from 'axios';
import axiosRetry, { exponentialDelay } from 'axios-retry';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { MemoryType } from '../../memory/memory-type.enum';
import { Skill, SkillContext, SkillError, SkillManifest, SkillResult } from '../skill';
import { OutboundPolicy, ssrfRefusal } from './ssrf';

type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpCallInput {
  url: string;
  method?: HttpMethod;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface HttpCallOutput {
  url: string;
  status: number;
  content_type: string | null;
  body: string;
  body_truncated: boolean;
  attempts: number;
}

const MAX_REDIRECTS = 5;
/** Longest body text kept in the step output and in the memory. */
const MAX_BODY_TEXT = 16 * 1024;
const MAX_RETRY_DELAY_MS = 10_000;
const IDEMPOTENT_METHODS = new Set(['GET', 'PUT', 'DELETE']);
const NETWORK_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/**
 * Calls an HTTP(S) endpoint: 5 s timeout per attempt, up to 3 retries with exponential backoff
 * and jitter on network errors, 5xx and 429 (honouring Retry-After, capped at 10 s), a response
 * size cap, redirects followed by hand so that each hop passes the SSRF policy.
 * POST is retried only when the request cannot have been processed (connection refused, 429, 503).
 */
@Injectable()
export class HttpCallSkill implements Skill<HttpCallInput, HttpCallOutput> {
  readonly manifest: SkillManifest = {
    skill_id: 'http_call',
    version: '1.0.0',
    description: 'Make an HTTP(S) request (GET, POST, PUT, DELETE) and return status and body.',
    capabilities: ['network_egress'],
    input_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['url'],
      properties: {
        url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 },
        method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'DELETE'], default: 'GET' },
        headers: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 50 },
        body: {},
      },
    },
    output_schema: {
      type: 'object',
      additionalProperties: false,
      required: ['url', 'status', 'content_type', 'body', 'body_truncated', 'attempts'],
      properties: {
        url: { type: 'string' },
        status: { type: 'integer', minimum: 100, maximum: 599 },
        content_type: { type: ['string', 'null'] },
        body: { type: 'string' },
        body_truncated: { type: 'boolean' },
        attempts: { type: 'integer', minimum: 1 },
      },
    },
    side_effects: 'non_idempotent',
    reversible: false,
  };

  private readonly policy: OutboundPolicy;

  constructor(
    private readonly http: HttpService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.policy = new OutboundPolicy(config.http.allowHosts);
    // axios ships separate type files for CJS and ESM; axios-retry's types see the other one.
    axiosRetry(this.http.axiosRef as unknown as Parameters<typeof axiosRetry>[0], {
      retries: config.http.retries,
      shouldResetTimeout: true,
      retryCondition: (error) => isRetryable(error),
      retryDelay: (retryCount, error) => Math.min(exponentialDelay(retryCount, error, 200), MAX_RETRY_DELAY_MS),
    });
  }

  isIdempotent(input: HttpCallInput): boolean {
    return IDEMPOTENT_METHODS.has(input.method ?? 'GET');
  }

  async execute(input: HttpCallInput, context: SkillContext): Promise<SkillResult<HttpCallOutput>> {
    const method = input.method ?? 'GET';
    let url = new URL(input.url);
    let attempts = 0;
    let response: AxiosResponse<Buffer> | undefined;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      response = await this.request(url, method, input, context, (n) => (attempts += n));
      const location = response.headers.location as string | undefined;
      if (response.status < 300 || response.status >= 400 || !location) break;
      if (hop === MAX_REDIRECTS) throw new SkillError(`more than ${MAX_REDIRECTS} redirects from ${input.url}`);
      url = new URL(location, url);
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new SkillError(`redirect to unsupported scheme ${url.protocol}`);
      }
    }
    const final = response!;
    const contentType = (final.headers['content-type'] as string | undefined) ?? null;
    const text = final.data.toString('utf8');
    const truncated = text.length > MAX_BODY_TEXT;
    const body = truncated ? text.slice(0, MAX_BODY_TEXT) : text;
    const output: HttpCallOutput = {
      url: url.toString(),
      status: final.status,
      content_type: contentType,
      body,
      body_truncated: truncated,
      attempts,
    };
    if (final.status >= 400) {
      throw new SkillError(`${method} ${url.toString()} answered ${final.status}`, false);
    }
    return {
      output,
      memory: {
        memory_type: MemoryType.SkillResult,
        text: body || `(empty ${final.status} response)`,
        meta: { url: url.toString(), status: final.status, content_type: contentType, truncated },
      },
    };
  }

  private async request(
    url: URL,
    method: HttpMethod,
    input: HttpCallInput,
    context: SkillContext,
    countAttempts: (n: number) => void,
  ): Promise<AxiosResponse<Buffer>> {
    const { httpAgent, httpsAgent } = this.policy.agentsFor(url);
    // The first hop keeps the method and body; a redirect is followed with GET (as browsers do for 301-303).
    const isFirstHop = url.toString() === new URL(input.url).toString();
    const hopMethod = isFirstHop ? method : 'GET';
    let tries = 0;
    try {
      const response = await this.http.axiosRef.request<Buffer>({
        url: url.toString(),
        method: hopMethod,
        headers: { 'user-agent': 'aos-http-call/1.0', ...(isFirstHop ? input.headers : {}) },
        data: isFirstHop ? input.body : undefined,
        signal: context.signal,
        timeout: this.config.http.timeoutMs,
        maxRedirects: 0,
        maxContentLength: this.config.http.maxResponseBytes,
        maxBodyLength: this.config.http.maxResponseBytes,
        responseType: 'arraybuffer',
        httpAgent,
        httpsAgent,
        proxy: false,
        // 5xx and 429 are errors (so they are retried); everything else, 3xx included, is an answer.
        validateStatus: (status) => status < 500 && status !== 429,
        ...{
          'axios-retry': {
            onRetry: () => {
              tries++;
            },
            retryCondition: (error: AxiosError) => !context.signal.aborted && isRetryable(error, hopMethod),
          },
        },
      });
      countAttempts(tries + 1);
      return { ...response, data: Buffer.from(response.data) };
    } catch (error) {
      countAttempts(tries + 1);
      throw this.toSkillError(error, url, hopMethod, tries + 1, context);
    }
  }

  private toSkillError(error: unknown, url: URL, method: string, attempts: number, context: SkillContext): Error {
    if (context.signal.aborted) return new SkillError(`${method} ${url.toString()} cancelled`);
    const refusal = ssrfRefusal(error, url) ?? (isAxiosError(error) ? ssrfRefusal(error.cause, url) : undefined);
    if (refusal) return new SkillError(refusal, false);
    if (isAxiosError(error)) {
      if (error.response) {
        return new SkillError(
          `${method} ${url.toString()} answered ${error.response.status} after ${attempts} attempt(s)`,
          true,
        );
      }
      if (/maxContentLength/.test(error.message)) {
        return new SkillError(
          `${method} ${url.toString()}: response larger than ${this.config.http.maxResponseBytes} bytes`,
        );
      }
      const code = error.code ?? 'network error';
      const what =
        code === 'ECONNABORTED' ? `timed out after ${this.config.http.timeoutMs} ms` : `${code}: ${error.message}`;
      return new SkillError(`${method} ${url.toString()} failed after ${attempts} attempt(s): ${what}`, true);
    }
    return new SkillError(
      `${method} ${url.toString()} failed: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function isRetryable(error: AxiosError, method = 'GET'): boolean {
  if (/ is not allowed\. Because/.test(`${error.message} ${String(error.cause)}`)) return false;
  if (error.code === 'ERR_CANCELED') return false;
  const status = error.response?.status;
  if (!IDEMPOTENT_METHODS.has(method.toUpperCase())) {
    return error.code === 'ECONNREFUSED' || status === 429 || status === 503;
  }
  if (status !== undefined) return status >= 500 || status === 429;
  return NETWORK_ERROR_CODES.has(error.code ?? '') || error.code === undefined;
}
