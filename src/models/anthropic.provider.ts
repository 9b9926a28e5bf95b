import Anthropic from '@anthropic-ai/sdk';
import type { AssistantBlock, ModelRequest, ModelResponse } from './model.types';
import type { ModelProvider, ProviderSettings } from './model-provider';
import { sanitizeAnswer } from './sanitize';

/**
 * Anthropic's Messages API through the official SDK, with its own retries and timeout as shipped
 * (`maxRetries`, `timeout` from the configuration). The stable prefix (tools, then the system
 * prompt) is marked for prompt caching.
 */
export class AnthropicProvider implements ModelProvider {
  readonly name = 'anthropic' as const;
  readonly defaultModel: string;
  private readonly client: Anthropic;

  constructor(settings: ProviderSettings) {
    this.defaultModel = settings.model;
    this.client = new Anthropic({
      apiKey: settings.apiKey,
      // Explicit, so the SDK does not read ANTHROPIC_BASE_URL or other credentials on its own.
      baseURL: settings.baseUrl ?? 'https://api.anthropic.com',
      maxRetries: settings.maxRetries,
      timeout: settings.timeoutMs,
      // The SDK's own warnings go to the service's JSON log, not the console.
      logger: settings.logger,
      logLevel: 'warn',
    });
  }

  async complete(request: ModelRequest, model: string, signal: AbortSignal): Promise<ModelResponse> {
    const message = await this.client.messages.create(
      {
        model,
        max_tokens: request.maxOutputTokens,
        // One cache breakpoint at the end of the system prompt covers the tools before it.
        system: [{ type: 'text', text: request.system, cache_control: { type: 'ephemeral' } }],
        tools: request.tools.map((t) => ({
          name: t.name,
          description: t.description,
          input_schema: t.input_schema as Anthropic.Tool.InputSchema,
        })),
        ...(request.tools.length ? { tool_choice: { type: request.toolChoice } } : {}),
        messages: request.messages.map((m, i) => ({
          role: m.role,
          content: m.content.map((block, j): Anthropic.ContentBlockParam => {
            // A second breakpoint at the end of the conversation: the next turn of the loop reads
            // everything up to here from the cache.
            const last = i === request.messages.length - 1 && j === m.content.length - 1;
            const cache = last ? { cache_control: { type: 'ephemeral' as const } } : {};
            switch (block.type) {
              case 'text':
                return { type: 'text', text: block.text, ...cache };
              case 'tool_use':
                return { type: 'tool_use', id: block.id, name: block.name, input: block.input, ...cache };
              case 'tool_result':
                return {
                  type: 'tool_result',
                  tool_use_id: block.tool_use_id,
                  content: block.content,
                  is_error: block.is_error,
                  ...cache,
                };
            }
          }),
        })),
      },
      { signal },
    );
    const content: AssistantBlock[] = [];
    for (const block of message.content) {
      if (block.type === 'text') content.push({ type: 'text', text: block.text });
      else if (block.type === 'tool_use') {
        content.push({ type: 'tool_use', id: block.id, name: block.name, input: asObject(block.input) });
      }
    }
    return {
      provider: this.name,
      model: message.model || model,
      content: sanitizeAnswer(content, request.messages.length),
      stopReason: message.stop_reason,
      inputTokens:
        message.usage.input_tokens +
        (message.usage.cache_creation_input_tokens ?? 0) +
        (message.usage.cache_read_input_tokens ?? 0),
      outputTokens: message.usage.output_tokens,
    };
  }
}

function asObject(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
