import OpenAI from 'openai';
import type { AssistantBlock, ModelRequest, ModelResponse } from './model.types';
import type { ModelProvider, ProviderSettings } from './model-provider';
import { sanitizeAnswer } from './sanitize';

/**
 * OpenAI's Chat Completions API with tools through the official SDK, so any OpenAI-compatible
 * server works too (vLLM, Ollama, llama.cpp, LM Studio: set OPENAI_BASE_URL). The SDK's own
 * retries and timeout run as shipped. OpenAI caches long stable prefixes by itself.
 */
export class OpenAiProvider implements ModelProvider {
  readonly name = 'openai' as const;
  readonly defaultModel: string;
  private readonly client: OpenAI;
  /** OpenAI itself takes max_completion_tokens; compatible servers (vLLM, Ollama, llama.cpp) know max_tokens. */
  private readonly officialApi: boolean;

  constructor(settings: ProviderSettings) {
    this.defaultModel = settings.model;
    this.officialApi = settings.baseUrl === undefined || new URL(settings.baseUrl).hostname === 'api.openai.com';
    this.client = new OpenAI({
      apiKey: settings.apiKey,
      baseURL: settings.baseUrl ?? 'https://api.openai.com/v1',
      maxRetries: settings.maxRetries,
      timeout: settings.timeoutMs,
      // The SDK's own warnings go to the service's JSON log, not the console.
      logger: settings.logger,
      logLevel: 'warn',
      // No organisation or project from the environment: only what AOS is configured with.
      organization: null,
      project: null,
    });
  }

  async complete(request: ModelRequest, model: string, signal: AbortSignal): Promise<ModelResponse> {
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'system', content: request.system }];
    for (const message of request.messages) {
      if (message.role === 'assistant') {
        const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
        const calls = message.content.flatMap((b) =>
          b.type === 'tool_use'
            ? [{ id: b.id, type: 'function' as const, function: { name: b.name, arguments: JSON.stringify(b.input) } }]
            : [],
        );
        messages.push({ role: 'assistant', content: text || null, ...(calls.length ? { tool_calls: calls } : {}) });
        continue;
      }
      // A user turn: tool results become `tool` messages (in order), text a user message after them.
      const texts: string[] = [];
      for (const block of message.content) {
        if (block.type === 'tool_result') {
          messages.push({
            role: 'tool',
            tool_call_id: block.tool_use_id,
            content: block.is_error ? `Error: ${block.content}` : block.content,
          });
        } else texts.push(block.text);
      }
      if (texts.length > 0) messages.push({ role: 'user', content: texts.join('\n\n') });
    }
    const completion = await this.client.chat.completions.create(
      {
        model,
        messages,
        ...(this.officialApi
          ? { max_completion_tokens: request.maxOutputTokens }
          : { max_tokens: request.maxOutputTokens }),
        ...(request.tools.length
          ? {
              tools: request.tools.map((t) => ({
                type: 'function' as const,
                function: { name: t.name, description: t.description, parameters: t.input_schema },
              })),
              tool_choice: request.toolChoice,
            }
          : {}),
      },
      { signal },
    );
    const choice = completion.choices[0];
    if (!choice) throw new Error(`${model} answered without a choice`);
    const content: AssistantBlock[] = [];
    const refusal = choice.message.refusal;
    if (refusal) content.push({ type: 'text', text: refusal });
    else if (choice.message.content) content.push({ type: 'text', text: choice.message.content });
    for (const call of choice.message.tool_calls ?? []) {
      if (call.type !== 'function') continue;
      content.push({
        type: 'tool_use',
        id: call.id,
        name: call.function?.name,
        input: parseArguments(call.function?.arguments),
      });
    }
    const answer = sanitizeAnswer(content, request.messages.length);
    return {
      provider: this.name,
      model: completion.model || model,
      content: answer,
      stopReason: refusal ? 'refusal' : choice.finish_reason,
      inputTokens: completion.usage?.prompt_tokens ?? 0,
      outputTokens: completion.usage?.completion_tokens ?? 0,
    };
  }
}

/**
 * Arguments arrive as JSON text (empty for a tool without arguments; some compatible servers send
 * an object). Text that is not a JSON object becomes an input the skill's schema refuses, so the
 * model gets the error back and can correct itself.
 */
function parseArguments(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null || value === '') return {};
  if (typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { __invalid_arguments: text.slice(0, 1000) };
}
