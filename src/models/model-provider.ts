import type { ModelRequest, ModelResponse, ProviderName } from './model.types';

/** The logger shape both SDKs accept. */
export interface SdkLogger {
  error(message: string, ...rest: unknown[]): void;
  warn(message: string, ...rest: unknown[]): void;
  info(message: string, ...rest: unknown[]): void;
  debug(message: string, ...rest: unknown[]): void;
}

export interface ProviderSettings {
  logger: SdkLogger;
  apiKey: string;
  baseUrl: string | undefined;
  model: string;
  maxRetries: number;
  timeoutMs: number;
}

/** One model provider behind its official SDK. Throws the SDK's errors; see classifyModelError. */
export interface ModelProvider {
  readonly name: ProviderName;
  readonly defaultModel: string;
  complete(request: ModelRequest, model: string, signal: AbortSignal): Promise<ModelResponse>;
}

/** The configured providers, in the order they are tried (injection token). */
export const MODEL_PROVIDERS = Symbol('MODEL_PROVIDERS');
