import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { startTestApp, TestApp } from './support/test-app';

describe('OpenAPI document', () => {
  let t: TestApp;
  let served: Record<string, any>;
  beforeAll(async () => {
    t = await startTestApp();
    served = (await t.request({ method: 'GET', url: '/openapi.json', auth: false })).json();
  });
  afterAll(async () => {
    await t.close();
  });

  it('is the checked-in openapi.json (run `npm run openapi:write` after changing the API)', () => {
    const checkedIn = JSON.parse(readFileSync(resolve(__dirname, '../openapi.json'), 'utf8'));
    expect(served).toEqual(checkedIn);
  });

  it('gives every operation an operationId, a typed 2xx and typed errors', () => {
    for (const [path, operations] of Object.entries<Record<string, any>>(served.paths)) {
      for (const [method, op] of Object.entries<any>(operations)) {
        const where = `${method.toUpperCase()} ${path}`;
        expect([where, typeof op.operationId]).toEqual([where, 'string']);
        const success = Object.entries<any>(op.responses).filter(([s]) => s.startsWith('2'));
        expect([where, success.length]).toEqual([where, 1]);
        const [status, response] = success[0];
        // JSON everywhere but the Prometheus text of /metrics and the event streams.
        const mediaType =
          path === '/metrics'
            ? 'text/plain'
            : path.endsWith('/events/stream')
              ? 'text/event-stream'
              : 'application/json';
        if (status !== '204')
          expect([where, response.content?.[mediaType]?.schema]).toEqual([where, expect.anything()]);
        for (const [code, error] of Object.entries<any>(op.responses).filter(([s]) => /^[45]/.test(s))) {
          expect([where, code, error.content?.['application/json']?.schema?.$ref]).toEqual([
            where,
            code,
            expect.any(String),
          ]);
        }
      }
    }
  });

  it('declares the API key and bearer schemes and uses them on every non-public operation', () => {
    expect(served.components.securitySchemes.api_key).toEqual({ type: 'apiKey', in: 'header', name: 'X-AOS-Key' });
    expect(served.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    for (const [path, operations] of Object.entries<Record<string, any>>(served.paths)) {
      // /metrics has its own bearer token, never the API key; the probes and /version none (security: []).
      const isPublic = [
        '/health',
        '/health/live',
        '/health/ready',
        '/version',
        '/auth/token',
        '/.well-known/jwks.json',
      ].includes(path);
      const expected = isPublic
        ? []
        : path === '/metrics'
          ? [{ metrics_token: [] }]
          : [{ api_key: [] }, { bearer: [] }];
      for (const op of Object.values<any>(operations)) {
        expect([path, op.security]).toEqual([path, expected]);
      }
    }
  });

  it("generates, with openapi-typescript's default options, a client that compiles strictly against minimal bodies", async () => {
    // Default options on purpose: that is what users run (`npx openapi-typescript openapi.json`).
    const schema = astToString(await openapiTS(served as any));
    const usage = `
      import type { paths, components } from './schema';
      type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
        requestBody?: { content: { 'application/json': infer B } };
      }
        ? B
        : never;
      // The smallest bodies a user sends: every field with a server-side default may be left out.
      const createAgent: Body<'/agents', 'post'> = { name: 'scout' };
      const submitGoal: Body<'/agents/{id}/goals', 'post'> = { goal: 'read the news' };
      const addMemory: Body<'/agents/{id}/memory', 'post'> = { memory_type: 'context', text: 'likes tea' };
      const pause: Body<'/agents/{id}', 'patch'> = { status: 'paused' };
      type Listing = paths['/agents']['get']['parameters']['query'];
      const noQuery: Listing = {};
      type Agent = paths['/agents']['post']['responses'][201]['content']['application/json'];
      const agent = {} as Agent;
      const tokens: number = agent.usage.input_tokens + agent.max_steps;
      const planner: Agent['planner'] = 'llm';
      const skills: string[] | null = agent.skills;
      type Accepted = paths['/agents/{id}/goals']['post']['responses'][202]['content']['application/json'];
      const accepted: Accepted = { run_id: 'r', status: 'pending' };
      // @ts-expect-error run status is an enum
      const badRun: Accepted['status'] = 'done';
      // @ts-expect-error status is an enum, not any string
      const wrongStatus: Agent['status'] = 'sleeping';
      // @ts-expect-error the goal is required
      const noGoal: Body<'/agents/{id}/goals', 'post'> = { priority: 1 };
      type Page = paths['/agents']['get']['responses'][200]['content']['application/json'];
      const next: string | null = ({} as Page).next_cursor;
      const items: Agent[] = ({} as Page).items;
      type Invalid = paths['/agents']['post']['responses'][422]['content']['application/json'];
      const fields: string[] = ({} as Invalid).errors.map((e) => e.field);
      // @ts-expect-error the body is required and has a required name
      const body: Body<'/agents', 'post'> = {};
      const err: components['schemas']['ErrorResponseDto'] = { detail: 'x' };
      const llmAgent: Body<'/agents', 'post'> = { name: 'mind', planner: 'llm', skills: ['http_call'], models: { openai: 'x' } };
      // @ts-expect-error planner is an enum
      const badPlanner: Body<'/agents', 'post'> = { name: 'x', planner: 'gpt' };
      export { createAgent, submitGoal, addMemory, pause, noQuery, agent, tokens, planner, skills, llmAgent, badPlanner, wrongStatus, noGoal, next, items, fields, body, err, accepted, badRun };
    `;
    const files: Record<string, string> = { '/client/schema.ts': schema, '/client/usage.ts': usage };
    const options: ts.CompilerOptions = {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      types: [],
      lib: ['lib.es2022.d.ts'],
    };
    const host = ts.createCompilerHost(options);
    const readFile = host.readFile.bind(host);
    const fileExists = host.fileExists.bind(host);
    host.readFile = (f) => files[f] ?? readFile(f);
    const directoryExists = host.directoryExists?.bind(host);
    host.fileExists = (f) => f in files || fileExists(f);
    host.directoryExists = (d) => d === '/client' || (directoryExists?.(d) ?? false);
    host.getSourceFile = (f, lang) => {
      const text = files[f] ?? readFile(f);
      return text === undefined ? undefined : ts.createSourceFile(f, text, lang);
    };
    const program = ts.createProgram(Object.keys(files), options, host);
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });

  it('types whole numbers as integer and gives each error status its own example', () => {
    const schemas = served.components.schemas;
    expect(schemas.AgentResponseDto.properties.max_concurrent_runs.type).toBe('integer');
    expect(schemas.SubmitGoalDto.properties.priority.type).toBe('integer');
    expect(schemas.RunSummaryDto.properties.attempts.type).toBe('integer');
    const examples = new Map<string, string>();
    for (const operations of Object.values<Record<string, any>>(served.paths)) {
      for (const op of Object.values<any>(operations)) {
        for (const [code, response] of Object.entries<any>(op.responses).filter(([s]) => /^4/.test(s))) {
          const example = response.content?.['application/json']?.example;
          expect([code, typeof example?.detail]).toEqual([code, 'string']);
          examples.set(code, example.detail);
        }
      }
    }
    // One example per status, not one message for all of them.
    expect(new Set(examples.values()).size).toBe(examples.size);
  });
});
