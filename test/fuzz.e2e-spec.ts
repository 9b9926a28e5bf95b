import { connect } from 'node:net';
import { startTestApp, TEST_API_KEY, TestApp } from './support/test-app';

/**
 * A spec-driven fuzzer: every operation of the served OpenAPI document gets wrong types, nulls,
 * huge and odd strings (NUL, lone surrogates, 100 KB), bad ids, deep JSON, junk bodies and odd
 * headers. No answer may be a 5xx, and every 4xx must carry a `detail`. It reads the document
 * the app serves, so routes added later are fuzzed without touching this file; operations whose
 * success is a stream (text/event-stream) are sent through a bounded real connection instead.
 */

type Schema = Record<string, any>;
interface Operation {
  method: string;
  path: string;
  parameters: { name: string; in: string; schema?: Schema; required?: boolean }[];
  body?: Schema;
  streams: boolean;
}

const HUGE = 'x'.repeat(100 * 1024);
const REQUEST_TIMEOUT_MS = 10_000;
const ODD_STRINGS = [
  '',
  ' ',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfff',
  '😀'.repeat(300),
  HUGE,
  '{}',
  '%00',
  '../../etc',
];
const BAD_IDS = [
  'not-a-uuid',
  '00000000-0000-0000-0000-000000000000',
  '8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e',
  '%00',
  '%ED%A0%80',
  '%E0%A4%A',
  'a'.repeat(300),
  '..%2F..',
  '1%27%20OR%201%3D1',
];
const DEEP = '{"a":'.repeat(20_000) + '1' + '}'.repeat(20_000);
const JUNK_BODIES: [string, string][] = [
  ['application/json', '{"name":'],
  ['application/json', ''],
  ['application/json', 'null'],
  ['application/json', '[]'],
  ['application/json', '"string"'],
  ['application/json', '123'],
  ['application/json', DEEP],
  ['application/json', '[' + '['.repeat(40) + ']'.repeat(40) + ']'],
  ['application/json', '{"__proto__":{"polluted":true}}'],
  ['application/json', '{"constructor":{"prototype":{"x":1}}}'],
  ['application/json', '{"a":"\\u0000"}'],
  ['application/json', '{"a":"\\ud800"}'],
  ['application/json; charset=latin1', '{"name":"x"}'],
  ['text/plain', 'hello'],
  ['application/x-www-form-urlencoded', 'name=x'],
  ['multipart/form-data; boundary=x', '--x\r\n\r\n--x--'],
  ['application/xml', '<a/>'],
];

function resolve(doc: Schema, schema: Schema | undefined): Schema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) return resolve(doc, doc.components.schemas[schema.$ref.split('/').pop()]);
  if (schema.allOf) return Object.assign({}, ...schema.allOf.map((s: Schema) => resolve(doc, s)));
  return schema;
}

function operationsOf(doc: Schema): Operation[] {
  const ops: Operation[] = [];
  for (const [path, methods] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(methods)) {
      const success = Object.entries<Schema>(op.responses).find(([s]) => s.startsWith('2'))?.[1];
      ops.push({
        method: method.toUpperCase(),
        path,
        parameters: op.parameters ?? [],
        body: resolve(doc, op.requestBody?.content?.['application/json']?.schema),
        streams: Boolean(success?.content?.['text/event-stream']),
      });
    }
  }
  return ops;
}

/** Wrong values for one property of a schema. */
function wrongValues(schema: Schema): unknown[] {
  const values: unknown[] = [null, true, 0, -1, 2.5, 1e308, [], {}, [1, 'a'], { nested: { deeper: [null] } }];
  values.push(...ODD_STRINGS);
  if (schema.enum) values.push('NOT_IN_ENUM', String(schema.enum[0]).toUpperCase());
  if (schema.type === 'integer' || schema.type === 'number') {
    values.push('1', Number.MAX_SAFE_INTEGER + 2, -0, (schema.maximum ?? 0) + 1, (schema.minimum ?? 0) - 1);
  }
  return values;
}

/** A body that satisfies the schema as far as a fuzzer cares: required fields with plausible values. */
function validBody(doc: Schema, schema: Schema): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const name of schema.required ?? []) {
    const property = resolve(doc, schema.properties?.[name]) ?? {};
    body[name] = property.enum
      ? property.enum[0]
      : property.type === 'integer' || property.type === 'number'
        ? 1
        : 'fuzz';
  }
  return body;
}

describe('fuzzing every operation of the served OpenAPI document', () => {
  let t: TestApp;
  let doc: Schema;
  let url: string;
  const failures: string[] = [];
  let sent = 0;

  beforeAll(async () => {
    t = await startTestApp({ HOST: '127.0.0.1', PORT: '0' });
    url = await t.server.listen();
    doc = (await t.request({ method: 'GET', url: '/openapi.json', auth: false })).json();
  });
  afterAll(async () => {
    await t.close();
  });

  function check(label: string, status: number, body: string, contentType: string | undefined): void {
    sent++;
    if (status >= 500) failures.push(`${label} → ${status} ${body.slice(0, 200)}`);
    if (status >= 400 && status < 500) {
      let detail: unknown;
      try {
        detail = (JSON.parse(body) as { detail?: unknown }).detail;
      } catch {
        detail = undefined;
      }
      if (typeof detail !== 'string' || !contentType?.includes('application/json')) {
        failures.push(`${label} → ${status} without {detail}: ${contentType} ${body.slice(0, 200)}`);
      }
    }
  }

  async function fixtures(): Promise<Record<string, string>> {
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'fuzz' } })).json().id;
    const run = (
      await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: 'fuzz me' } })
    ).json().run_id;
    const memory = (
      await t.request({
        method: 'POST',
        url: `/agents/${agent}/memory`,
        payload: { memory_type: 'context', text: 'x' },
      })
    ).json().id;
    return { id: agent, run_id: run, prov_id: run, memory_id: memory, skill_id: 'http_call' };
  }

  function fill(path: string, ids: Record<string, string>, override?: [string, string]): string {
    return path.replace(/\{(\w+)\}/g, (_m, name: string) =>
      override && override[0] === name ? override[1] : (ids[name] ?? 'fuzz'),
    );
  }

  async function send(
    op: Operation,
    label: string,
    options: { url: string; headers?: Record<string, string>; payload?: string; auth?: boolean },
  ): Promise<void> {
    const headers = { ...(options.auth === false ? {} : { 'x-aos-key': TEST_API_KEY }), ...options.headers };
    if (op.streams) {
      // A stream that starts would hold the connection: a real request, cut after a second.
      const res = await fetch(`${url}${options.url}`, {
        method: op.method,
        headers,
        body: options.payload,
        signal: AbortSignal.timeout(1_000),
      }).catch(() => undefined);
      if (res)
        check(label, res.status, res.status >= 400 ? await res.text() : '', res.headers.get('content-type') ?? '');
      return;
    }
    // Every request is bounded: a route that holds its connection open (a long-poll) must not hang
    // the fuzzer; it is reported instead.
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      t.server.app.inject({ method: op.method as 'GET', url: options.url, headers, payload: options.payload }),
      new Promise<undefined>(
        (resolveTimeout) => (timer = setTimeout(() => resolveTimeout(undefined), REQUEST_TIMEOUT_MS)),
      ),
    ]).finally(() => clearTimeout(timer));
    if (!res) {
      failures.push(`${label} → no answer within ${REQUEST_TIMEOUT_MS} ms`);
      return;
    }
    check(label, res.statusCode, res.body, res.headers['content-type']);
  }

  it('answers every malformed request to every operation with a 4xx and a detail, never a 5xx', async () => {
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThan(15);
    for (const op of operations) {
      const ids = await fixtures();
      const where = `${op.method} ${op.path}`;
      const base = fill(op.path, ids);
      const json = { 'content-type': 'application/json' };
      const goodBody = op.body ? JSON.stringify(validBody(doc, op.body)) : undefined;
      const bodyHeaders = op.body ? json : undefined;

      // Path parameters: malformed, unknown, encoded NUL and invalid UTF-8, huge.
      for (const name of [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        for (const bad of BAD_IDS) {
          await send(op, `${where} ${name}=${bad.slice(0, 30)}`, {
            url: fill(op.path, ids, [name, bad]),
            headers: bodyHeaders,
            payload: goodBody,
          });
        }
      }

      // Query parameters: wrong types, odd strings, repeated.
      for (const param of op.parameters.filter((p) => p.in === 'query')) {
        const values = ['abc', '-1', '0', '2.5', '1e309', '999999999999', '', '%00', '%ED%A0%80', 'x'.repeat(5_000)];
        for (const value of values) {
          await send(op, `${where} ?${param.name}=${value.slice(0, 30)}`, {
            url: `${base}?${param.name}=${value}`,
            headers: bodyHeaders,
            payload: goodBody,
          });
        }
        await send(op, `${where} ?${param.name} twice`, { url: `${base}?${param.name}=1&${param.name}=2` });
      }

      // Odd headers: no key, wrong key, odd request ids and idempotency keys.
      await send(op, `${where} without key`, { url: base, auth: false });
      await send(op, `${where} wrong key`, { url: base, auth: false, headers: { 'x-aos-key': 'wrong' } });
      // Odd bearer credentials: junk, a JWT shape of nothing, a huge one, another scheme.
      for (const authorization of [
        'Bearer',
        'Bearer \u00ff\u00fe',
        'Bearer a.b.c',
        `Bearer ${'e'.repeat(8_000)}.${'e'.repeat(8_000)}.x`,
        'Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJ1cm46YW9zIn0.',
        'Basic dXNlcjpwYXNz',
      ]) {
        await send(op, `${where} authorization ${authorization.slice(0, 20)}`, {
          url: base,
          auth: false,
          headers: { authorization },
        });
      }
      for (const [name, value] of [
        ['x-request-id', 'x'.repeat(4_000)],
        ['x-request-id', '\u00ff\u00fe'],
        ['idempotency-key', 'ü'],
        ['idempotency-key', 'k'.repeat(5_000)],
        ['accept', 'application/xml'],
        ['content-length', '5'],
      ]) {
        await send(op, `${where} header ${name}`, {
          url: base,
          headers: { ...bodyHeaders, [name]: value },
          payload: name === 'content-length' ? undefined : goodBody,
        });
      }

      if (!op.body && op.method === 'GET') continue;
      // Junk bodies and content types.
      for (const [contentType, payload] of JUNK_BODIES) {
        await send(op, `${where} body ${contentType} ${payload.slice(0, 20)}`, {
          url: base,
          headers: { 'content-type': contentType },
          payload,
        });
      }
      if (!op.body) continue;
      // Every property with every wrong value, the others valid.
      for (const [name, raw] of Object.entries<Schema>(op.body.properties ?? {})) {
        const property = resolve(doc, raw) ?? {};
        for (const value of wrongValues(property)) {
          const body = { ...validBody(doc, op.body), [name]: value };
          await send(op, `${where} ${name}=${JSON.stringify(value).slice(0, 30)}`, {
            url: base,
            headers: json,
            payload: JSON.stringify(body),
          });
        }
      }
      await send(op, `${where} unknown field`, {
        url: base,
        headers: json,
        payload: JSON.stringify({ ...validBody(doc, op.body), unexpected: 1 }),
      });
      await send(op, `${where} empty object`, { url: base, headers: json, payload: '{}' });
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(800);
  });

  /** Raw bytes on a real socket: what Node's parser refuses never reaches Fastify's routing. */
  function raw(request: string): Promise<{ status: number; headers: string; body: string }> {
    const { port } = new URL(url);
    return new Promise((resolvePromise, reject) => {
      const socket = connect(Number(port), '127.0.0.1');
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head, ...rest] = data.split('\r\n\r\n');
        resolvePromise({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]),
          headers: head,
          body: rest.join('\r\n\r\n'),
        });
      });
      socket.end(request);
    });
  }

  it.each([
    ['a 100 KB query string', `GET /agents?cursor=${'a'.repeat(100 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`, 431],
    ['a 100 KB header', `GET /agents HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(100 * 1024)}\r\n\r\n`, 431],
    ['a broken request line', 'GARBAGE\r\n\r\n', 400],
    ['a request line with spaces in the path', 'GET /a b c HTTP/1.1\r\nHost: x\r\n\r\n', 400],
    ['a bad HTTP version', 'GET /agents HTTP/9.9\r\nHost: x\r\n\r\n', 400],
    [
      'a too-long path parameter',
      `GET /agents/${'a'.repeat(300)} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
      414,
    ],
    ['a bad percent-encoding', 'GET /agents/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 400],
  ])('answers %s before routing with {detail} and a request id', async (_label, request, status) => {
    const res = await raw(request);
    expect(res.status).toBe(status);
    expect(JSON.parse(res.body)).toEqual({ detail: expect.any(String) });
    expect(res.headers.toLowerCase()).toContain('content-type: application/json');
    expect(res.headers.toLowerCase()).toMatch(/x-request-id: \S+/);
  });
});
