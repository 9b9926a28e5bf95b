/**
 * The provider-neutral conversation the agent loop keeps. It follows the Messages API's shape
 * (blocks of text, tool_use and tool_result); each provider adapter translates it to its wire
 * format and its answers back, so a run can move from one provider to the other mid-conversation.
 */

export type ProviderName = 'anthropic' | 'openai';

export const PROVIDERS: readonly ProviderName[] = ['anthropic', 'openai'];

export interface TextBlock {
  type: 'text';
  text: string;
}

export interface ToolUseBlock {
  type: 'tool_use';
  /** The provider's id for the call, echoed in its tool_result. */
  id: string;
  name: string;
  input: Record<string, unknown>;
}

export interface ToolResultBlock {
  type: 'tool_result';
  tool_use_id: string;
  /** The tool's output as JSON text, or the error message. */
  content: string;
  is_error: boolean;
}

export type AssistantBlock = TextBlock | ToolUseBlock;

export type ModelMessage =
  { role: 'user'; content: (TextBlock | ToolResultBlock)[] } | { role: 'assistant'; content: AssistantBlock[] };

export interface ModelTool {
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
}

export interface ModelRequest {
  /** The stable prefix (with the tools): cached by providers that offer it. */
  system: string;
  messages: ModelMessage[];
  tools: ModelTool[];
  maxOutputTokens: number;
  /** `none`: the model must answer without a tool call (the run's last allowed model call). */
  toolChoice: 'auto' | 'none';
}

export interface ModelResponse {
  provider: ProviderName;
  model: string;
  content: AssistantBlock[];
  /**
   * The provider's own stop reason, as it said it (recorded so; the loop reads it per provider:
   * a tool call is asked for by the content, not by this).
   */
  stopReason: string | null;
  inputTokens: number;
  outputTokens: number;
}

/** Per-provider model names for one agent: a model name means nothing to the other provider. */
export type ModelChoice = Partial<Record<ProviderName, string>>;
