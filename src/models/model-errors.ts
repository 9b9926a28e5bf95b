import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ProviderName } from './model.types';

/**
 * What a failed model call means for the run: `retryable` (429, 408, 409, 5xx and 529 overloaded,
 * a timeout or a network error: another provider, or the same one later, may answer), `rejected`
 * (400, 401, 403, 404, 413, 422: asking again cannot help), or `aborted` (the run was cancelled).
 * Both SDKs raise the same family of errors; this is decided on their types and status codes.
 */
export function classifyModelError(error: unknown): 'retryable' | 'rejected' | 'aborted' | 'context_exceeded' {
  if (error instanceof Anthropic.APIUserAbortError || error instanceof OpenAI.APIUserAbortError) return 'aborted';
  if (error instanceof Anthropic.APIConnectionError || error instanceof OpenAI.APIConnectionError) return 'retryable';
  if (error instanceof Anthropic.APIError || error instanceof OpenAI.APIError) {
    const status: number | undefined = (error as { status?: number }).status;
    const body = (error as { error?: unknown }).error as ApiErrorBody | undefined;
    const code = body?.error?.code ?? body?.code;
    const raw = body?.error?.message ?? body?.message;
    const message = typeof raw === 'string' ? raw : '';
    // The conversation outgrew the model's context window: a bound of the run, not a broken request.
    if (code === 'context_length_exceeded' || /prompt is too long|context (length|window)/i.test(message)) {
      return 'context_exceeded';
    }
    // Out of credit is sent as 429 but does not pass by waiting.
    if (code === 'insufficient_quota' || code === 'billing_hard_limit_reached') return 'rejected';
    if (status === undefined) return 'retryable';
    return status === 408 || status === 409 || status === 429 || status >= 500 ? 'retryable' : 'rejected';
  }
  // Not an SDK error: an answer the adapter could not read. The same request would get the same
  // answer, so waiting for it is no use.
  return 'rejected';
}

/** A short description of a provider's failure, with any configured key removed from it. */
export function describeModelError(error: unknown, secrets: readonly string[]): string {
  let text: string;
  if (error instanceof Anthropic.APIError || error instanceof OpenAI.APIError) {
    text = error.status === undefined ? error.message : `${error.status} ${apiErrorMessage(error) ?? error.message}`;
  } else {
    text = error instanceof Error ? error.message : String(error);
  }
  for (const secret of secrets) if (secret) text = text.split(secret).join('[redacted]');
  // Providers echo keys masked (`sk-proj-****abcd`): those go too.
  text = text.replace(/\b(sk|key)-[A-Za-z0-9*_-]{6,}/g, '[redacted]');
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

/** Anthropic's SDK keeps the whole body (`{error: {...}}`), OpenAI's the inner error object. */
interface ApiErrorBody {
  error?: { message?: unknown; type?: unknown; code?: unknown };
  message?: unknown;
  type?: unknown;
  code?: unknown;
}

/** The human part of an API error body (`{"error": {"message": ...}}` in both APIs). */
function apiErrorMessage(
  error: InstanceType<typeof Anthropic.APIError> | InstanceType<typeof OpenAI.APIError>,
): string | undefined {
  const body = (error as { error?: unknown }).error as ApiErrorBody | undefined;
  const message = body?.error?.message ?? body?.message;
  const type = body?.error?.type ?? body?.type;
  if (typeof message !== 'string') return undefined;
  return typeof type === 'string' ? `${type}: ${message}` : message;
}

/** Every configured provider failed in a way that may pass: the run waits for a model. */
export class ModelsUnavailableError extends Error {
  override readonly name = 'ModelsUnavailableError';
  constructor(readonly failures: { provider: ProviderName; error: string }[]) {
    super(failures.map((f) => `${f.provider}: ${f.error}`).join('; '));
  }
}

/** The conversation no longer fits the model's context window: the run ends partial. */
export class ModelContextExceededError extends Error {
  override readonly name = 'ModelContextExceededError';
  constructor(
    readonly provider: ProviderName,
    detail: string,
  ) {
    super(`the conversation outgrew ${provider}'s context window: ${detail}`);
  }
}

/** A provider refused the request itself (bad request, key, permission): the run fails. */
export class ModelRejectedError extends Error {
  override readonly name = 'ModelRejectedError';
  constructor(
    readonly provider: ProviderName,
    detail: string,
  ) {
    super(`${provider} refused the request: ${detail}`);
  }
}
