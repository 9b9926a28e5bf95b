import { FakeModelServer } from './support/fake-models';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

type Run = {
  id: string;
  status: string;
  error_message: string | null;
  result: string | null;
  attempts: number;
  usage: { model_calls: number; input_tokens: number; output_tokens: number };
  settings: Record<string, unknown> | null;
  model_calls: {
    index: number;
    step: number;
    status: string;
    provider: string | null;
    model: string | null;
    attempts: number;
    input_tokens: number | null;
    output_tokens: number | null;
    stop_reason: string | null;
    error: string | null;
    content: any[] | null;
    memory_ids: string[];
  }[];
  tool_calls: {
    step: number;
    skill_id: string;
    status: string;
    error: string | null;
    output: any;
    model_call_index: number | null;
    tool_use_id: string | null;
    attempts: number;
  }[];
};

const finished = (r: Run) => !['pending', 'running'].includes(r.status);

/** A Chat Completions answer as some compatible servers send it: a tool call without id or arguments. */
function oddAnswer(model: string): unknown {
  return {
    id: 'chatcmpl-odd',
    object: 'chat.completion',
    created: 0,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: '',
          tool_calls: [{ type: 'function', function: { name: 'memory_recall', arguments: null } }],
        },
        finish_reason: 'tool_calls',
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 },
  };
}

describe('the agent loop', () => {
  let t: TestApp;
  let anthropic: FakeModelServer;
  let openai: FakeModelServer;
  let target: TargetServer;

  beforeAll(async () => {
    anthropic = await new FakeModelServer('anthropic').start();
    openai = await new FakeModelServer('openai').start();
    target = await new TargetServer().start();
    t = await startTestApp({
      ANTHROPIC_API_KEY: 'sk-ant-test-secret-0123456789',
      ANTHROPIC_BASE_URL: anthropic.baseUrl,
      AOS_ANTHROPIC_MODEL: 'claude-test',
      OPENAI_API_KEY: 'sk-openai-test-secret-0123456789',
      OPENAI_BASE_URL: openai.baseUrl,
      AOS_OPENAI_MODEL: 'gpt-test',
      AOS_HTTP_ALLOW_HOSTS: `127.0.0.1:${target.port}`,
      AOS_LLM_RETRY_BASE_MS: '100',
      AOS_LLM_RETRY_MAX_MS: '200',
      AOS_WORKER_POLL_MS: '100',
    });
  });
  afterEach(() => {
    anthropic.reset();
    openai.reset();
  });
  afterAll(async () => {
    await t.close();
    await Promise.all([anthropic.stop(), openai.stop(), target.stop()]);
  });

  async function agent(body: Record<string, unknown> = {}): Promise<string> {
    const res = await t.request({ method: 'POST', url: '/agents', payload: { name: 'thinker', ...body } });
    expect(res.statusCode).toBe(201);
    return res.json<{ id: string }>().id;
  }

  async function goal(agentId: string, text: string): Promise<string> {
    const res = await t.request({ method: 'POST', url: `/agents/${agentId}/goals`, payload: { goal: text } });
    expect(res.statusCode).toBe(202);
    return res.json<{ run_id: string }>().run_id;
  }

  const getRun = async (agentId: string, runId: string) =>
    (await t.request({ method: 'GET', url: `/agents/${agentId}/runs/${runId}` })).json<Run>();

  it('plans with the model: http_call and memory_write in one turn, then an answer that becomes the result', async () => {
    target.text('/weather', 'Sunny, 21 degrees, light breeze from the west.');
    const a = await agent({ instructions: 'Always check the weather service first.' });
    // A memory that the goal recalls into the context.
    await t.request({
      method: 'POST',
      url: `/agents/${a}/memory`,
      payload: { memory_type: 'context', text: 'The weather service for the office lives at the intranet.' },
    });
    anthropic.script([
      {
        text: 'Let me look.',
        tools: [
          { name: 'http_call', input: { url: target.url('/weather') } },
          { name: 'memory_write', input: { memory_type: 'context', text: 'Checked the office weather today.' } },
        ],
        inputTokens: 300,
        outputTokens: 40,
      },
      { text: 'It is sunny and 21 degrees at the office.', inputTokens: 420, outputTokens: 15 },
    ]);
    const runId = await goal(a, 'What is the weather at the office?');
    const run = await eventually(() => getRun(a, runId), finished);

    expect(run.status).toBe('completed');
    expect(run.result).toBe('It is sunny and 21 degrees at the office.');
    expect(run.usage).toEqual({ model_calls: 2, input_tokens: 720, output_tokens: 55 });
    expect(run.settings).toMatchObject({ planner: 'llm', instructions: 'Always check the weather service first.' });
    // One numbering: model call 0, its two tool calls, model call 1.
    expect(run.model_calls.map((c) => [c.index, c.step, c.provider, c.model, c.status, c.stop_reason])).toEqual([
      [0, 0, 'anthropic', 'claude-test', 'succeeded', 'tool_use'],
      [1, 3, 'anthropic', 'claude-test', 'succeeded', 'end_turn'],
    ]);
    expect(run.model_calls[0]).toMatchObject({ input_tokens: 300, output_tokens: 40, attempts: 1 });
    expect(run.model_calls[0].memory_ids).toHaveLength(1);
    expect(run.tool_calls.map((c) => [c.step, c.skill_id, c.status, c.model_call_index])).toEqual([
      [1, 'http_call', 'succeeded', 0],
      [2, 'memory_write', 'succeeded', 0],
    ]);
    expect(run.tool_calls[0].tool_use_id).toBe(run.model_calls[0].content![1].id);

    // What the SDK sent: system prompt with the instructions (cached), tools from the manifests,
    // the goal with the recalled memory labelled by type and date, then both tool results.
    const [first, second] = anthropic.requests;
    // The SDK authenticates with the configured key (as a bearer token in this SDK version).
    expect(first.headers.authorization ?? first.headers['x-api-key']).toMatch(/sk-ant-test-secret-0123456789$/);
    expect(first.body.model).toBe('claude-test');
    expect(first.body.system[0]).toMatchObject({
      text: expect.stringContaining('Always check the weather service first.'),
      cache_control: { type: 'ephemeral' },
    });
    expect(first.body.tools.map((tool: { name: string }) => tool.name).sort()).toEqual([
      'calendar_create_event',
      'calendar_list_events',
      'email_read',
      'email_search',
      'email_send',
      'http_call',
      'memory_recall',
      'memory_write',
    ]);
    expect(first.body.tools[0].input_schema).toMatchObject({ type: 'object' });
    const context = first.body.messages[0].content.map((b: { text: string }) => b.text).join('\n');
    expect(context).toContain('What is the weather at the office?');
    expect(context).toMatch(
      /<data source="memory [0-9a-f-]{36} \(context, \d{4}-\d{2}-\d{2}\)" trust="trusted">\nThe weather service for the office/,
    );
    const results = second.body.messages[2].content;
    expect(results.map((r: any) => [r.type, r.is_error])).toEqual([
      ['tool_result', false],
      ['tool_result', false],
    ]);
    expect(results[0].content).toContain('Sunny, 21 degrees');
    expect(anthropic.answeredTurns()).toEqual([0, 1]);
    expect(openai.requests).toHaveLength(0);

    // The answer is a run_result memory; the agent counts the usage; provenance shows the same steps.
    const recall = await t.request({ method: 'GET', url: `/agents/${a}/recall?query=sunny&memory_type=run_result` });
    expect(recall.json().items).toEqual([expect.objectContaining({ run_id: runId, text: run.result })]);
    const agentNow = (await t.request({ method: 'GET', url: `/agents/${a}` })).json();
    expect(agentNow.usage).toEqual({ model_calls: 2, input_tokens: 720, output_tokens: 55 });
    const provenance = (await t.request({ method: 'GET', url: `/agents/${a}/provenance/${runId}` })).json();
    expect(provenance.model_calls.map((c: { step: number }) => c.step)).toEqual([0, 3]);
    expect(provenance.tool_calls.map((c: { step: number }) => c.step)).toEqual([1, 2]);
  });

  it('gives a failing tool call back to the model as is_error, and the model recovers', async () => {
    target.text('/ok', 'the right page');
    const a = await agent();
    anthropic.script([
      { tools: [{ name: 'http_call', input: { url: target.url('/missing') } }] },
      { tools: [{ name: 'http_call', input: { url: target.url('/ok') } }] },
      { text: 'Found it on the second try.' },
    ]);
    const runId = await goal(a, 'Fetch the page');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('completed');
    expect(run.tool_calls.map((c) => c.status)).toEqual(['failed', 'succeeded']);
    const toolResult = anthropic.requests[1].body.messages[2].content[0];
    expect(toolResult).toMatchObject({ type: 'tool_result', is_error: true });
    expect(toolResult.content).toMatch(/answered 404/);
  });

  it('refuses a skill outside the allow-list, and lets the model search memory with memory_recall', async () => {
    const a = await agent({ skills: ['memory_recall'] });
    await t.request({
      method: 'POST',
      url: `/agents/${a}/memory`,
      payload: { memory_type: 'user_input', text: 'Hammond prefers meetings after ten.' },
    });
    anthropic.script([
      {
        tools: [
          { name: 'http_call', input: { url: 'https://example.com/' } },
          { name: 'memory_recall', input: { query: 'Hammond meetings' } },
        ],
      },
      { text: 'After ten.' },
    ]);
    const runId = await goal(a, 'When does the boss like meetings?');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('completed');
    expect(anthropic.requests[0].body.tools.map((tool: { name: string }) => tool.name)).toEqual(['memory_recall']);
    expect(run.tool_calls.map((c) => [c.skill_id, c.status])).toEqual([
      ['http_call', 'failed'],
      ['memory_recall', 'succeeded'],
    ]);
    expect(run.tool_calls[0].error).toBe('skill http_call is not available to this agent');
    expect(run.tool_calls[1].output.memories[0].text).toBe('Hammond prefers meetings after ten.');
  });

  it('falls back to OpenAI when Anthropic is overloaded after the SDK’s own retries', async () => {
    const a = await agent({ models: { openai: 'gpt-agent' } });
    anthropic.script([], () => ({
      status: 529,
      type: 'overloaded_error',
      message: 'Overloaded',
      headers: { 'retry-after-ms': '10' },
    }));
    openai.script([
      { tools: [{ name: 'memory_write', input: { memory_type: 'context', text: 'noted' } }] },
      { text: 'Noted.' },
    ]);
    const runId = await goal(a, 'Note something');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('completed');
    expect(run.model_calls.map((c) => [c.provider, c.model])).toEqual([
      ['openai', 'gpt-agent'],
      ['openai', 'gpt-agent'],
    ]);
    // The SDK's retries are on as shipped: 1 + 2 attempts per model call, then the fallback.
    expect(anthropic.requests.filter((r) => r.turn === 0)).toHaveLength(3);
    expect(anthropic.requests.every((r) => r.answer === 529)).toBe(true);
    // OpenAI got the tool result as a `tool` message answering its call id.
    const messages = openai.requests[1].body.messages;
    expect(messages[0]).toMatchObject({ role: 'system' });
    expect(messages[2].tool_calls[0].function.name).toBe('memory_write');
    expect(messages[3]).toMatchObject({ role: 'tool', tool_call_id: messages[2].tool_calls[0].id });
    expect(openai.requests[0].headers.authorization).toBe('Bearer sk-openai-test-secret-0123456789');
  });

  it('honours 429 with retry-after inside the SDK before falling back', async () => {
    const a = await agent();
    anthropic.script([{ text: 'Fine.' }], (_request, attempt) =>
      attempt < 3 ? { status: 429, type: 'rate_limit_error', headers: { 'retry-after': '1' } } : undefined,
    );
    const started = Date.now();
    const runId = await goal(a, 'Say fine');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('completed');
    expect(run.model_calls[0].provider).toBe('anthropic');
    expect(anthropic.requests.map((r) => r.answer)).toEqual([429, 429, 'turn']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(openai.requests).toHaveLength(0);
  });

  it('waits in the queue while every provider is down, not as a failed attempt, and completes when one returns', async () => {
    const a = await agent();
    let down = true;
    const outage = () => (down ? { status: 500, message: 'boom', headers: { 'retry-after-ms': '5' } } : undefined);
    anthropic.script([{ text: 'Back again.' }], outage);
    openai.script([], () => ({ status: 503, headers: { 'retry-after-ms': '5' } }));
    const runId = await goal(a, 'Answer when you can');
    const waiting = await eventually(
      () => getRun(a, runId),
      (r) => r.status === 'pending' && (r.error_message ?? '').startsWith('waiting for a model'),
    );
    expect(waiting.error_message).toMatch(/anthropic: 500 .*boom.*; openai: 503/);
    expect(waiting.attempts).toBe(0);
    expect(waiting.model_calls[0]).toMatchObject({ status: 'failed' });
    await eventually(
      async () => anthropic.requests.length,
      (n) => n >= 6,
    );
    down = false;
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('completed');
    expect(run.result).toBe('Back again.');
    expect(run.attempts).toBe(1);
    expect(run.model_calls[0]).toMatchObject({ status: 'succeeded', provider: 'anthropic' });
    expect(run.model_calls[0].attempts).toBeGreaterThanOrEqual(2);
  });

  it('fails at once on a refusal (401) with the provider’s message and no secret in it', async () => {
    const a = await agent();
    anthropic.script([], () => ({ status: 401, type: 'authentication_error', message: 'invalid x-api-key' }));
    const runId = await goal(a, 'Anything');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('failed');
    expect(run.error_message).toBe(
      'anthropic refused the request: claude-test: 401 authentication_error: invalid x-api-key',
    );
    expect(JSON.stringify(run)).not.toContain('sk-ant-test-secret');
    expect(anthropic.requests).toHaveLength(1);
    expect(openai.requests).toHaveLength(0);
  });

  it('ends partial when max_steps model calls did not finish the goal', async () => {
    const a = await agent({ max_steps: 2 });
    const again = { tools: [{ name: 'memory_recall', input: { query: 'anything' } }] };
    anthropic.script([again, again, again, again]);
    const runId = await goal(a, 'Loop forever');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('partial');
    expect(run.error_message).toBe(
      'stopped at max_steps (2 model calls) before the model finished; its last tool calls were not run',
    );
    expect(run.model_calls).toHaveLength(2);
    // The last allowed call was asked to answer without tools, and its tool call did not run.
    expect(anthropic.requests.map((r) => r.body.tool_choice)).toEqual([{ type: 'auto' }, { type: 'none' }]);
    expect(run.tool_calls).toHaveLength(1);
  });

  it('keeps the answer of the last allowed call as the result of a partial run', async () => {
    const a = await agent({ max_steps: 1 });
    anthropic.script([{ text: 'All I could do in one step.' }]);
    const runId = await goal(a, 'Hurry');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run).toMatchObject({
      status: 'partial',
      result: 'All I could do in one step.',
      error_message: 'reached max_steps (1 model calls): the last call had to answer without tools',
    });
  });

  it('fails on a refusal, with the model’s words as the reason', async () => {
    const a = await agent();
    anthropic.script([{ text: 'I can’t help with that request.', stop: 'refusal' }]);
    const runId = await goal(a, 'Something forbidden');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('failed');
    expect(run.error_message).toBe('the model refused: I can’t help with that request.');
  });

  it('records which provider failed before the one that answered', async () => {
    const a = await agent();
    anthropic.script([], () => ({
      status: 529,
      type: 'overloaded_error',
      message: 'Overloaded',
      headers: { 'retry-after-ms': '5' },
    }));
    openai.script([{ text: 'Here.' }]);
    const runId = await goal(a, 'Anything');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.model_calls[0]).toMatchObject({
      provider: 'openai',
      status: 'succeeded',
      error: expect.stringMatching(/^anthropic: 529 overloaded_error: Overloaded$/),
    });
  });

  it('ends partial when the conversation outgrows the context window', async () => {
    const a = await agent();
    anthropic.script([], () => ({
      status: 400,
      type: 'invalid_request_error',
      message: 'prompt is too long: 250000 tokens > 200000 maximum',
    }));
    const runId = await goal(a, 'Read everything');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('partial');
    expect(run.error_message).toMatch(/^stopped: the conversation outgrew anthropic's context window/);
    expect(openai.requests).toHaveLength(0);
  });

  it('fails at once when a provider is out of quota, even though it answers 429', async () => {
    const a = await agent();
    anthropic.script([], () => ({ status: 500, headers: { 'retry-after-ms': '5' } }));
    // OpenAI's quota error carries its code in the body.
    openai.script([], () => ({
      status: 429,
      type: 'insufficient_quota',
      code: 'insufficient_quota',
      message: 'You exceeded your current quota',
    }));
    const runId = await goal(a, 'Anything');
    const run = await eventually(() => getRun(a, runId), finished);
    expect(run.status).toBe('failed');
    expect(run.error_message).toMatch(
      /^openai refused the request: gpt-test: 429 insufficient_quota: You exceeded your current quota$/,
    );
    // The SDK retried the 429 as shipped (1 + 2); AOS then failed the run instead of waiting an hour.
    expect(openai.requests).toHaveLength(3);
    expect(run.attempts).toBe(1);
  });

  it('stopping the agent aborts the model request in flight', async () => {
    const a = await agent();
    anthropic.script([], () => 'hang');
    const runId = await goal(a, 'Think');
    await eventually(
      async () => anthropic.requests.length,
      (n) => n === 1,
    );
    await t.request({ method: 'POST', url: `/agents/${a}/stop` });
    await eventually(
      async () => anthropic.requests[0].answer,
      (answer) => answer === 'closed',
      1_000,
    );
    expect((await getRun(a, runId)).status).toBe('cancelled');
    await eventually(
      async () => (await getRun(a, runId)).model_calls[0]?.status,
      (status) => status === 'cancelled',
    );
  });

  it('cancels within a second while waiting on a slow model, closing the connection', async () => {
    const a = await agent();
    anthropic.script([], () => 'hang');
    const runId = await goal(a, 'Think for a long time');
    await eventually(
      async () => anthropic.requests.length,
      (n) => n === 1,
    );
    // The request is in flight, its socket open …
    await new Promise((r) => setTimeout(r, 200));
    expect(anthropic.requests[0].hungUp).toBe(false);
    const started = Date.now();
    const cancelled = await t.request({ method: 'POST', url: `/agents/${a}/runs/${runId}/cancel` });
    expect(cancelled.statusCode).toBe(200);
    // … and the cancel closes it: the SDK request is aborted, not left to run out.
    await eventually(
      async () => anthropic.requests[0].hungUp,
      (hungUp) => hungUp,
      1_000,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    const run = await getRun(a, runId);
    expect(run.status).toBe('cancelled');
    await eventually(
      async () => (await getRun(a, runId)).model_calls[0]?.status,
      (s) => s === 'cancelled',
    );
    expect(openai.requests).toHaveLength(0);
  });
});

describe('the agent loop within its bounds', () => {
  let t: TestApp;
  let openai: FakeModelServer;

  beforeAll(async () => {
    openai = await new FakeModelServer('openai').start();
    // Only an OpenAI-compatible server, as with a local model (vLLM, Ollama, llama.cpp).
    t = await startTestApp({
      OPENAI_API_KEY: 'local',
      OPENAI_BASE_URL: openai.baseUrl,
      AOS_RUN_MAX_TOKENS: '1000',
      AOS_LLM_MAX_WAIT_MS: '1500',
      AOS_LLM_RETRY_BASE_MS: '100',
      AOS_LLM_RETRY_MAX_MS: '300',
      AOS_WORKER_POLL_MS: '100',
    });
  });
  afterEach(() => openai.reset());
  afterAll(async () => {
    await t.close();
    await openai.stop();
  });

  const run = async (body: Record<string, unknown>, text: string) => {
    const a = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'bounded', ...body } })).json().id;
    const id = (await t.request({ method: 'POST', url: `/agents/${a}/goals`, payload: { goal: text } })).json().run_id;
    return eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${a}/runs/${id}` })).json<Run>(),
      finished,
      15_000,
    );
  };

  it('resolves the planner to llm when only OpenAI is configured, and uses its default model', async () => {
    openai.script([{ text: 'Hello.' }]);
    const result = await run({}, 'Greet');
    expect(result.status).toBe('completed');
    expect(result.model_calls[0]).toMatchObject({ provider: 'openai', model: 'gpt-5.5' });
  });

  it('keeps an answer cut short by the output limit as the result, but ends partial', async () => {
    openai.script([{ text: 'The first half of a long ans', stop: 'length' }]);
    const result = await run({}, 'Write a lot');
    expect(result.status).toBe('partial');
    expect(result.result).toBe('The first half of a long ans');
    expect(result.error_message).toMatch(/cut short at AOS_LLM_MAX_OUTPUT_TOKENS \(4096\)/);
  });

  it('ends partial at the token budget', async () => {
    const again = { tools: [{ name: 'memory_recall', input: { query: 'x' } }], inputTokens: 600, outputTokens: 10 };
    openai.script([again, again, again]);
    const result = await run({}, 'Spend tokens');
    expect(result.status).toBe('partial');
    expect(result.error_message).toBe(
      'stopped at the token budget (1220 of 1000 tokens used) before the model finished; its last tool calls were not run',
    );
    expect(result.model_calls).toHaveLength(2);
  });

  it('reads an odd tool call from a compatible server: no id, no arguments', async () => {
    // The first answer as some servers send it; then an ordinary final answer.
    openai.script([{}, { text: 'Read.' }], (request) =>
      request.turn === 0 ? { status: 200, raw: oddAnswer(request.body.model) } : undefined,
    );
    const result = await run({}, 'Odd');
    expect(result.status).toBe('completed');
    expect(result.tool_calls[0]).toMatchObject({
      skill_id: 'memory_recall',
      status: 'failed',
      tool_use_id: 'call_1_0',
    });
    expect(result.tool_calls[0].error).toMatch(/must have required property 'query'/);
  });

  it('fails once no model answered within AOS_LLM_MAX_WAIT_MS', async () => {
    openai.script([], () => ({ status: 503, headers: { 'retry-after-ms': '5' } }));
    const result = await run({}, 'Never answered');
    expect(result.status).toBe('failed');
    expect(result.error_message).toMatch(/^no model answered within \d+ s \(AOS_LLM_MAX_WAIT_MS\): openai: 503/);
    expect(openai.requests.length).toBeGreaterThanOrEqual(2);
  });
});

describe('agent settings', () => {
  let t: TestApp;
  let withModel: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    withModel = await startTestApp({ ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' });
  });
  afterAll(async () => {
    await t.close();
    await withModel.close();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['skills', { skills: ['http_call', 'teleport'] }, /unknown skill ids: teleport/],
    ['max_steps', { max_steps: 0 }, /max_steps must not be less than 1/],
    ['max_steps', { max_steps: 101 }, /max_steps must not be greater than 100/],
    ['max_steps', { max_steps: 2.5 }, /integer/],
    ['instructions', { instructions: 'x'.repeat(20_001) }, /shorter than or equal to 20000/],
    ['planner', { planner: 'gpt' }, /planner must be one of: rule-based, llm/],
    ['models.mistral', { models: { mistral: 'x' } }, /should not exist/],
    ['skills', { skills: 'http_call' }, /array/],
    ['planner', { planner: null }, /must not be null/],
  ])('refuses a bad %s with 422 (case %#)', async (field, settings, message) => {
    const res = await withModel.request({ method: 'POST', url: '/agents', payload: { name: 'x', ...settings } });
    expect(res.statusCode).toBe(422);
    const error = res.json().errors.find((e: { field: string }) => e.field === field);
    expect(error?.message).toMatch(message);
  });

  it('refuses an llm agent while no provider is configured, naming the variables to set', async () => {
    const res = await t.request({ method: 'POST', url: '/agents', payload: { name: 'x', planner: 'llm' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().detail).toMatch(/ANTHROPIC_API_KEY.*OPENAI_API_KEY/);
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'rb' } })).json();
    expect(agent.planner).toBe('rule-based');
    const patch = await t.request({ method: 'PATCH', url: `/agents/${agent.id}`, payload: { planner: 'llm' } });
    expect(patch.statusCode).toBe(422);
  });

  it('stores the resolved planner and the settings, and clears them with null', async () => {
    const created = await withModel.request({
      method: 'POST',
      url: '/agents',
      payload: { name: 'mind', instructions: 'Be brief.', models: { anthropic: 'claude-x' }, skills: ['http_call'] },
    });
    expect(created.json()).toMatchObject({
      planner: 'llm',
      instructions: 'Be brief.',
      models: { anthropic: 'claude-x' },
      skills: ['http_call'],
      max_steps: 20,
    });
    const id = created.json().id;
    const cleared = await withModel.request({
      method: 'PATCH',
      url: `/agents/${id}`,
      payload: { instructions: null, models: null, skills: null, max_steps: 5 },
    });
    expect(cleared.json()).toMatchObject({ instructions: null, models: null, skills: null, max_steps: 5 });
  });
});
