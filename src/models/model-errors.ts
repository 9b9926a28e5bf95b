import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { ProviderName } from './model.types';

/**
 * What a failed model call means for the run: `retryable` (429, 408, 409, 5xx and 529 overloaded,
 * a timeout or a network error: another provider, or the same one later, may answer), `rejected`
 * (400, 401, 403, 404, 413, 422: asking again cannot help), or `aborted` (the run was cancelled).
 * Both SDKs raise the same family of errors; this is decided on their types and status codes.
 */
export function classifyModelError(error: unknown): 'retryable' | 'rejected' | 'aborted' {
  if (error instanceof Anthropic.APIUserAbortError || error instanceof OpenAI.APIUserAbortError) return 'aborted';
  if (error instanceof Anthropic.APIConnectionError || error instanceof OpenAI.APIConnectionError) return 'retryable';
  if (error instanceof Anthropic.APIError || error instanceof OpenAI.APIError) {
    const status: number | undefined = (error as { status?: number }).status;
    if (status === undefined) return 'retryable';
    return status === 408 || status === 409 || status === 429 || status >= 500 ? 'retryable' : 'rejected';
  }
  // Not an SDK error: a response the adapter could not read (e.g. no choices). Another provider,
  // or a later try, may do better; the wait for a model is bounded.
  return 'retryable';
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
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

interface ApiErrorBody {
  error?: { message?: unknown; type?: unknown };
  message?: unknown;
}

/** The human part of an API error body (`{"error": {"message": ...}}` in both APIs). */
function apiErrorMessage(
  error: InstanceType<typeof Anthropic.APIError> | InstanceType<typeof OpenAI.APIError>,
): string | undefined {
  const body = (error as { error?: unknown }).error as ApiErrorBody | undefined;
  const message = body?.error?.message ?? body?.message;
  const type = body?.error?.type;
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
