import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Local model servers that speak the real wire formats — Anthropic's Messages API
 * (`POST /v1/messages`) and OpenAI's Chat Completions (`POST /v1/chat/completions`) — for the real
 * SDKs to call. Each is scripted per test: a list of turns (what the model says at each point of
 * the conversation), and optional failures. Every attempt is recorded with its parsed body, so
 * tests can assert what the SDK sent and count retries, fallbacks and repeats.
 */

/** What the model says in one turn: text and/or tool calls. No tool call ends the run. */
export interface Turn {
  text?: string;
  tools?: { name: string; input: Record<string, unknown> }[];
  inputTokens?: number;
  outputTokens?: number;
  /** Answer only after this long (the connection stays open). */
  delayMs?: number;
  /** The stop reason / finish reason as the provider says it (default: from the tool calls). */
  stop?: string;
}

/** A reply that is not a turn: an error status with its body and headers, or a body of its own. */
export interface Failure {
  status: number;
  type?: string;
  message?: string;
  /** OpenAI's error `code` (e.g. insufficient_quota). */
  code?: string;
  headers?: Record<string, string>;
  /** Sent as the body instead of the provider's error shape (an odd answer from some server). */
  raw?: unknown;
}

export interface RecordedRequest {
  body: any;
  headers: IncomingMessage['headers'];
  /** Which turn of the conversation it asked for (assistant messages already in it). */
  turn: number;
  /** What was answered: `turn`, an error status, or `closed` when the client hung up first. */
  answer: 'turn' | number | 'closed';
  /** The client closed the connection before an answer was finished (set when the socket goes, not assumed). */
  hungUp: boolean;
}

type Protocol = 'anthropic' | 'openai';

export class FakeModelServer {
  readonly requests: RecordedRequest[] = [];
  /** The conversation, turn by turn; a request for a turn past the end gets a final "done". */
  turns: Turn[] = [];
  /** Instead of `turns`: the turn for a request, decided from it (e.g. by its model). */
  turnFor: ((request: RecordedRequest) => Turn) | undefined;
  /** Keep every request (tests read them); a benchmark turns this off. */
  record = true;
  /** Decides a failure for a request (return undefined to answer the turn). */
  fail: ((request: RecordedRequest, attempt: number) => Failure | 'hang' | undefined) | undefined;
  /** Requests being answered now, and the most there were at once. */
  inFlight = 0;
  maxInFlight = 0;
  private server!: Server;
  port = 0;

  constructor(readonly protocol: Protocol) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** The base URL to configure (ANTHROPIC_BASE_URL / OPENAI_BASE_URL). */
  get baseUrl(): string {
    return this.protocol === 'anthropic' ? `http://127.0.0.1:${this.port}` : `http://127.0.0.1:${this.port}/v1`;
  }

  script(turns: Turn[], fail?: FakeModelServer['fail']): void {
    this.turns = turns;
    this.fail = fail;
  }

  /** Requests that got a turn's answer, per turn: a completed model call requested twice shows here. */
  answeredTurns(): number[] {
    return this.requests.filter((r) => r.answer === 'turn').map((r) => r.turn);
  }

  reset(): void {
    this.requests.length = 0;
    this.turns = [];
    this.turnFor = undefined;
    this.fail = undefined;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const expected = this.protocol === 'anthropic' ? '/v1/messages' : '/v1/chat/completions';
    let raw = '';
    for await (const chunk of req) raw += (chunk as Buffer).toString();
    if (req.method !== 'POST' || req.url !== expected) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
      return;
    }
    const body = JSON.parse(raw);
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    res.on('close', () => this.inFlight--);
    const turn = (body.messages as { role: string }[]).filter((m) => m.role === 'assistant').length;
    const recorded: RecordedRequest = { body, headers: req.headers, turn, answer: 'closed', hungUp: false };
    if (this.record) this.requests.push(recorded);
    const attempt = this.requests.filter((r) => r.turn === turn).length;
    res.on('close', () => {
      if (res.writableFinished) return;
      recorded.answer = 'closed';
      recorded.hungUp = true;
    });
    const failure = this.fail?.(recorded, attempt);
    if (failure === 'hang') return;
    if (failure) {
      recorded.answer = failure.raw !== undefined && failure.status === 200 ? 'turn' : failure.status;
      res.writeHead(failure.status, { 'content-type': 'application/json', ...failure.headers });
      res.end(JSON.stringify(failure.raw ?? this.errorBody(failure)));
      return;
    }
    const spec = this.turnFor?.(recorded) ?? this.turns[turn] ?? { text: 'done' };
    if (spec.delayMs) {
      await new Promise((r) => setTimeout(r, spec.delayMs));
      if (res.destroyed) return;
    }
    recorded.answer = 'turn';
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': `req_${randomUUID()}` });
    res.end(
      JSON.stringify(this.protocol === 'anthropic' ? anthropicMessage(body, spec) : openAiCompletion(body, spec)),
    );
  }

  private errorBody(failure: Failure): unknown {
    const message = failure.message ?? `fake ${failure.status}`;
    return this.protocol === 'anthropic'
      ? { type: 'error', error: { type: failure.type ?? 'api_error', message } }
      : { error: { message, type: failure.type ?? 'server_error', code: failure.code ?? null } };
  }
}

function anthropicMessage(request: { model: string }, turn: Turn): unknown {
  const content: unknown[] = [];
  if (turn.text) content.push({ type: 'text', text: turn.text });
  for (const tool of turn.tools ?? []) {
    content.push({
      type: 'tool_use',
      id: `toolu_${randomUUID().replace(/-/g, '')}`,
      name: tool.name,
      input: tool.input,
    });
  }
  return {
    id: `msg_${randomUUID().replace(/-/g, '')}`,
    type: 'message',
    role: 'assistant',
    model: request.model,
    content,
    stop_reason: turn.stop ?? (turn.tools?.length ? 'tool_use' : 'end_turn'),
    stop_sequence: null,
    usage: {
      input_tokens: turn.inputTokens ?? 100,
      output_tokens: turn.outputTokens ?? 20,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
    },
  };
}

function openAiCompletion(request: { model: string }, turn: Turn): unknown {
  const toolCalls = (turn.tools ?? []).map((tool) => ({
    id: `call_${randomUUID().replace(/-/g, '').slice(0, 24)}`,
    type: 'function',
    function: { name: tool.name, arguments: JSON.stringify(tool.input) },
  }));
  const input = turn.inputTokens ?? 100;
  const output = turn.outputTokens ?? 20;
  return {
    id: `chatcmpl-${randomUUID()}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: request.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: turn.text ?? null,
          ...(toolCalls.length ? { tool_calls: toolCalls } : {}),
        },
        finish_reason: turn.stop ?? (toolCalls.length ? 'tool_calls' : 'stop'),
        logprobs: null,
      },
    ],
    usage: { prompt_tokens: input, completion_tokens: output, total_tokens: input + output },
  };
}
