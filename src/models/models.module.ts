import { Logger, Module } from '@nestjs/common';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { AnthropicProvider } from './anthropic.provider';
import { MODEL_PROVIDERS, ModelProvider, SdkLogger } from './model-provider';
import { ModelsService } from './models.service';
import { OpenAiProvider } from './openai.provider';

/** The providers that have a key, Anthropic first: the order ModelsService tries them in. */
function configuredProviders(config: AppConfig): ModelProvider[] {
  const { llm } = config;
  const sdkLog = new Logger('ModelSdk');
  const logger: SdkLogger = {
    error: (message: string) => sdkLog.error(message),
    warn: (message: string) => sdkLog.warn(message),
    info: (message: string) => sdkLog.log(message),
    debug: (message: string) => sdkLog.debug(message),
  };
  const common = { maxRetries: llm.maxRetries, timeoutMs: llm.timeoutMs, logger };
  const providers: ModelProvider[] = [];
  if (llm.anthropic) providers.push(new AnthropicProvider({ ...llm.anthropic, ...common }));
  if (llm.openai) providers.push(new OpenAiProvider({ ...llm.openai, ...common }));
  return providers;
}

/** Model providers (Anthropic, OpenAI) behind one port; a leaf: it depends on no domain module. */
@Module({
  providers: [{ provide: MODEL_PROVIDERS, useFactory: configuredProviders, inject: [APP_CONFIG] }, ModelsService],
  exports: [ModelsService],
})
export class ModelsModule {}
