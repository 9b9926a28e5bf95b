import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../metrics/metrics.service';
import {
  classifyModelError,
  describeModelError,
  ModelContextExceededError,
  ModelRejectedError,
  ModelsUnavailableError,
} from './model-errors';
import { MODEL_PROVIDERS, type ModelProvider } from './model-provider';
import type { ModelChoice, ModelRequest, ModelResponse, ProviderName } from './model.types';

/** No provider has a key: an `llm` run cannot start (and `llm` agents cannot be created). */
export class NoModelProviderError extends Error {
  override readonly name = 'NoModelProviderError';
  constructor() {
    super('no model provider is configured: set ANTHROPIC_API_KEY and/or OPENAI_API_KEY');
  }
}

/**
 * The model port the agent loop calls. Providers are tried in order — Anthropic first, OpenAI
 * second, each skipped when it has no key — and each runs its SDK's own retries first. A failure
 * that may pass (429, 5xx, 529 overloaded, timeout, network) hands the same request to the next
 * provider; when all fail that way the caller gets ModelsUnavailableError (the run then waits in
 * the queue). A refusal (400, 401, 403 …) is a ModelRejectedError at once.
 */
@Injectable()
export class ModelsService {
  private readonly logger = new Logger(ModelsService.name);
  private readonly providers: ModelProvider[];
  private readonly secrets: string[];
  private readonly calls: Counter<'provider' | 'outcome'>;
  private readonly durations: Histogram<'provider'>;
  private readonly tokens: Counter<'provider' | 'kind'>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(MODEL_PROVIDERS) providers: ModelProvider[],
    metrics: MetricsService,
  ) {
    const { llm } = config;
    this.providers = providers;
    this.secrets = [llm.anthropic?.apiKey, llm.openai?.apiKey].filter((k): k is string => Boolean(k));
    for (const [name, provider] of [
      ['anthropic', llm.anthropic],
      ['openai', llm.openai],
    ] as const) {
      if (!provider && llm.baseUrlsWithoutKey.includes(name)) {
        this.logger.warn(
          `${name.toUpperCase()}_BASE_URL is set but ${name.toUpperCase()}_API_KEY is not: ${name} is skipped`,
        );
      }
    }
    this.calls = metrics.counter({
      name: 'aos_model_requests_total',
      help: 'Model requests (each after its SDK retries) by provider and outcome: ok, retryable, rejected, aborted',
      labelNames: ['provider', 'outcome'],
    });
    this.durations = metrics.histogram({
      name: 'aos_model_request_duration_seconds',
      help: 'Duration of answered model requests, SDK retries included',
      labelNames: ['provider'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120],
    });
    this.tokens = metrics.counter({
      name: 'aos_model_tokens_total',
      help: 'Tokens used, by provider and kind (input, output)',
      labelNames: ['provider', 'kind'],
    });
  }

  /** The providers that have a key, in the order they are tried. */
  configured(): ProviderName[] {
    return this.providers.map((p) => p.name);
  }

  async complete(
    request: ModelRequest,
    choice: ModelChoice,
    signal: AbortSignal,
  ): Promise<ModelResponse & { fallbackFrom: string | null }> {
    if (this.providers.length === 0) throw new NoModelProviderError();
    const failures: { provider: ProviderName; error: string }[] = [];
    for (const provider of this.providers) {
      const model = choice[provider.name] ?? provider.defaultModel;
      const started = performance.now();
      try {
        const response = await provider.complete(request, model, signal);
        this.calls.inc({ provider: provider.name, outcome: 'ok' });
        this.durations.observe({ provider: provider.name }, (performance.now() - started) / 1000);
        this.tokens.inc({ provider: provider.name, kind: 'input' }, response.inputTokens);
        this.tokens.inc({ provider: provider.name, kind: 'output' }, response.outputTokens);
        return { ...response, fallbackFrom: failures.length ? new ModelsUnavailableError(failures).message : null };
      } catch (error) {
        const kind = classifyModelError(error);
        this.calls.inc({ provider: provider.name, outcome: kind });
        if (kind === 'aborted' || signal.aborted) throw error;
        const detail = describeModelError(error, this.secrets);
        if (kind === 'rejected') throw new ModelRejectedError(provider.name, `${model}: ${detail}`);
        if (kind === 'context_exceeded') throw new ModelContextExceededError(provider.name, `${model}: ${detail}`);
        this.logger.warn({ provider: provider.name, model, error: detail }, 'model unavailable, trying the next');
        failures.push({ provider: provider.name, error: detail });
      }
    }
    throw new ModelsUnavailableError(failures);
  }
}
