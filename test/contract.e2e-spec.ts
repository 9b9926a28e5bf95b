import { execFile } from 'node:child_process';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { Document as SpectralDocument, Spectral } from '@stoplight/spectral-core';
import { Json } from '@stoplight/spectral-parsers';
import { oas } from '@stoplight/spectral-rulesets';
import { FakeModelServer } from './support/fake-models';
import { eventually, TargetServer } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';

type Schema = Record<string, any>;
type Doc = { paths: Record<string, Record<string, Schema>>; components: { schemas: Record<string, Schema> } };

/** Hosts of the document's own examples: allow-listed, so the examples' checks do not need DNS here. */
const EXAMPLE_HOSTS = ['smtp.example.com', 'imap.example.com', 'cal.example.com', 'api.example.com', 'example.com'];

const METRICS_TOKEN = 'metrics-scrape-token-0123456789';

const resolveRef = (doc: Doc, schema: Schema): Schema =>
  schema.$ref ? resolveRef(doc, doc.components.schemas[schema.$ref.split('/').pop()]) : schema;

/** Every schema object of the document, with where it is. */
function* schemas(doc: Doc): Generator<[string, Schema]> {
  function* walk(where: string, s: Schema | undefined): Generator<[string, Schema]> {
    if (!s || typeof s !== 'object') return;
    yield [where, s];
    for (const key of ['allOf', 'oneOf', 'anyOf'] as const)
      for (const [i, c] of (s[key] ?? []).entries()) yield* walk(`${where}/${key}/${i}`, c);
    for (const [name, p] of Object.entries<Schema>(s.properties ?? {})) yield* walk(`${where}/properties/${name}`, p);
    if (s.items) yield* walk(`${where}/items`, s.items);
    if (typeof s.additionalProperties === 'object')
      yield* walk(`${where}/additionalProperties`, s.additionalProperties);
  }
  for (const [name, s] of Object.entries(doc.components.schemas)) yield* walk(`#/components/schemas/${name}`, s);
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      for (const p of op.parameters ?? []) yield* walk(`${method} ${path} ?${p.name}`, p.schema);
      for (const m of Object.values<Schema>(op.requestBody?.content ?? {}))
        yield* walk(`${method} ${path} body`, m.schema);
    }
  }
}

/**
 * A request body built from the document the way Swagger UI's "Example Value" is: each property's
 * example, else its default, else its first enum value, else a value of its type and format.
 */
function sample(doc: Doc, schema: Schema | undefined): unknown {
  if (!schema) return undefined;
  const s = resolveRef(doc, schema);
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.allOf) {
    const parts = s.allOf.map((x: Schema) => sample(doc, x));
    return parts.every((p: unknown) => typeof p === 'object' && p !== null) ? Object.assign({}, ...parts) : parts[0];
  }
  if (s.oneOf || s.anyOf) return sample(doc, (s.oneOf ?? s.anyOf)[0]);
  if (s.enum) return s.enum.find((v: unknown) => v !== null);
  switch (s.type) {
    case 'object': {
      if (!s.properties) return {};
      const out: Record<string, unknown> = {};
      for (const [name, p] of Object.entries<Schema>(s.properties)) {
        if (resolveRef(doc, p).readOnly) continue;
        out[name] = sample(doc, p);
      }
      return out;
    }
    case 'array':
      return [sample(doc, s.items)];
    case 'integer':
    case 'number':
      return s.minimum ?? 0;
    case 'boolean':
      return true;
    case 'string':
      return (
        {
          uuid: '3fa85f64-5717-4562-b3fc-2c963f66afa6',
          'date-time': new Date().toISOString(),
          uri: 'https://example.com/',
          email: 'user@example.com',
        }[s.format as string] ?? 'string'
      );
    default:
      return undefined;
  }
}

/**
 * A validator of response bodies against the document's schemas, OpenAPI 3.0's `nullable` read
 * as JSON Schema's null type (the documented 2xx schema of an operation and status).
 */
function responseValidator(doc: Doc): (schema: Schema, body: unknown) => string | undefined {
  const convert = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(convert);
    if (!value || typeof value !== 'object') return value;
    const out: Schema = {};
    for (const [key, v] of Object.entries(value as Schema)) {
      if (key === '$ref' && typeof v === 'string')
        out.$ref = v.replace('#/components/schemas/', 'doc#/components/schemas/');
      else if (key !== 'nullable' && key !== 'discriminator') out[key] = convert(v);
    }
    if ((value as Schema).nullable && typeof out.type === 'string') out.type = [out.type, 'null'];
    return out;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema({ $id: 'doc', components: convert(doc.components) as Schema });
  return (schema, body) => {
    const validate = ajv.compile(convert(schema) as Schema);
    return validate(body) ? undefined : ajv.errorsText(validate.errors, { dataVar: 'body' });
  };
}

function promtool(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = execFile('promtool', ['check', 'metrics'], (error, stdout, stderr) =>
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
    );
    child.stdin!.end(text);
  });
}

/**
 * The served OpenAPI document says exactly what the server does: it is read here (so routes added
 * later are covered), linted with Redocly and Spectral, and held against the running server —
 * every documented example is accepted, every documented constraint is the server's.
 */
describe('the contract', () => {
  let t: TestApp;
  let doc: Doc;
  let model: FakeModelServer;
  let hooks: TargetServer;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    model = await new FakeModelServer('anthropic').start();
    hooks = await new TargetServer().start();
    t = await startTestApp({
      ANTHROPIC_API_KEY: 'sk-ant-test-0123456789',
      ANTHROPIC_BASE_URL: model.baseUrl,
      AOS_CONNECTION_ALLOW_HOSTS: EXAMPLE_HOSTS.join(','),
      AOS_WEBHOOK_ALLOW_HOSTS: EXAMPLE_HOSTS.join(','),
      AOS_WORKER_POLL_MS: '100',
      AOS_METRICS_TOKEN: METRICS_TOKEN,
    });
    doc = (await t.request({ method: 'GET', url: '/openapi.json', auth: false })).json();
    // One of each thing a path can name, for the operations to act on.
    ids.id = (
      await t.request({ method: 'POST', url: '/agents', payload: { name: 'fixture', planner: 'llm' } })
    ).json().id;
    model.script([{ text: 'done' }]);
    ids.run_id = (
      await t.request({ method: 'POST', url: `/agents/${ids.id}/goals`, payload: { goal: 'a fixture run' } })
    ).json().run_id;
    await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${ids.id}/runs/${ids.run_id}` })).json().status,
      (s) => s === 'completed',
    );
    ids.other_run_id = ids.run_id;
    ids.prov_id = ids.run_id;
    ids.memory_id = (
      await t.request({
        method: 'POST',
        url: `/agents/${ids.id}/memory`,
        payload: { memory_type: 'context', text: 'x' },
      })
    ).json().id;
    ids.connection_id = (
      await t.request({
        method: 'POST',
        url: `/agents/${ids.id}/connections`,
        // The kind the PATCH example's settings are written for (the first of its anyOf).
        payload: {
          name: 'fixture',
          kind: 'smtp',
          settings: { host: 'smtp.example.com', from: 'agent@example.com' },
          secret: 'password',
        },
      })
    ).json().id;
    ids.webhook_id = (
      await t.request({ method: 'POST', url: `/agents/${ids.id}/webhooks`, payload: { url: 'https://example.com/h' } })
    ).json().id;
    ids.skill_id = 'http_call';
    ids.tenant_id = 'default';
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([model?.stop(), hooks?.stop()]);
  });

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
  const urlOf = (path: string) => path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? name);

  it('is clean for Redocly’s recommended rules', async () => {
    const problems = await lintFromString({
      source: JSON.stringify(doc),
      absoluteRef: '/openapi.json',
      config: await createConfig({ extends: ['recommended'] }),
    });
    const left = problems.filter(
      (p) =>
        // The package is UNLICENSED: there is no license text to link.
        !(p.ruleId === 'info-license-strict') &&
        // The public probes refuse nothing: they have no 4xx to document.
        !(p.ruleId === 'operation-4xx-response' && /~1(health|version)/.test(p.location[0]?.pointer ?? '')),
    );
    expect(left.map((p) => `${p.ruleId}: ${p.message} ${p.location[0]?.pointer}`)).toEqual([]);
  });

  it('is clean for Spectral’s OpenAPI rules', async () => {
    const spectral = new Spectral();
    spectral.setRuleset({ extends: [[oas as never, 'recommended']] });
    const results = await spectral.run(new SpectralDocument(JSON.stringify(doc), Json));
    expect(results.map((r) => `${r.code}: ${r.message} ${r.path.join('.')}`)).toEqual([]);
  });

  it('states security on every operation: public ones answer without a key, the others 401', async () => {
    for (const { path, method, op } of operations()) {
      expect(op.security).toBeDefined();
      const res = await t.request({ method: method.toUpperCase(), url: urlOf(path), auth: false });
      if (op.security.length === 0) expect([path, res.statusCode]).not.toEqual([path, 401]);
      else expect([method, path, res.statusCode]).toEqual([method, path, 401]);
    }
  });

  it('every request body refuses unknown fields, and says so (additionalProperties: false, at every level)', async () => {
    for (const [where, s] of schemas(doc)) {
      if (!where.includes(' body') && !where.startsWith('#/components')) continue;
      if (s.properties && where.includes(' body')) expect([where, s.additionalProperties]).toEqual([where, false]);
    }
    const requestNames = new Set<string>();
    for (const { op } of operations())
      for (const m of Object.values<Schema>(op.requestBody?.content ?? {})) {
        for (const ref of JSON.stringify(m.schema).match(/#\/components\/schemas\/\w+/g) ?? [])
          requestNames.add(ref.split('/').pop()!);
      }
    for (const name of requestNames) {
      for (const [where, s] of schemas({
        ...doc,
        paths: {},
        components: { schemas: { [name]: doc.components.schemas[name] } },
      }))
        if (s.properties) expect([where, s.additionalProperties]).toEqual([where, false]);
    }
    for (const { path, method, op } of operations()) {
      const media = op.requestBody?.content?.['application/json'];
      // The OAuth token endpoint must ignore parameters it does not know (RFC 6749 §3.2), and its
      // schema says so; every other body refuses them.
      if (!media || path === '/auth/token') continue;
      const body = { ...(sample(doc, media.schema) as object), zz_unknown_field: 1 };
      const res = await t.request({ method: method.toUpperCase(), url: urlOf(path), payload: body });
      expect([method, path, res.statusCode, res.json().detail]).toEqual([
        method,
        path,
        422,
        expect.stringMatching(/zz_unknown_field/),
      ]);
    }
  });

  it('accepts every example the document gives (Swagger UI’s Example Value of each body)', async () => {
    const check = responseValidator(doc);
    for (const { path, method, op } of operations()) {
      const media = op.requestBody?.content?.['application/json'];
      if (!media) continue;
      const body = sample(doc, media.schema);
      const res = await t.request({
        method: method.toUpperCase(),
        url: urlOf(path),
        payload: body as object,
      });
      // State may refuse it (409: that run is not waiting for approval; the token endpoint's
      // invalid_grant: the example key exists nowhere); the shape never may.
      const refused = (res.statusCode === 400 && res.json().error !== 'invalid_grant') || res.statusCode === 422;
      expect([method, path, refused ? res.body : 'accepted']).toEqual([method, path, 'accepted']);
      // And what it answers is what the document says it answers.
      const schema = op.responses[String(res.statusCode)]?.content?.['application/json']?.schema;
      if (schema) expect([method, path, check(schema, res.json())]).toEqual([method, path, undefined]);
    }
    // Each kind of connection, as the create body's oneOf documents it.
    const create = doc.paths['/agents/{id}/connections'].post.requestBody.content['application/json'].schema;
    expect(create.discriminator.propertyName).toBe('kind');
    for (const variant of create.oneOf) {
      const body = sample(doc, variant) as { name: string; kind: string };
      const res = await t.request({
        method: 'POST',
        url: urlOf('/agents/{id}/connections'),
        payload: { ...body, name: `example-${body.kind}` },
      });
      expect([body.kind, res.statusCode]).toEqual([body.kind, 201]);
    }
  });

  it('answers every read the way its documented response schema says', async () => {
    const check = responseValidator(doc);
    let checked = 0;
    for (const { path, method, op } of operations()) {
      if (method !== 'get') continue;
      const [status, response] = Object.entries<Schema>(op.responses).find(([s]) => s.startsWith('2'))!;
      const schema = response.content?.['application/json']?.schema;
      if (!schema) continue;
      const res = await t.request({
        method: 'GET',
        url: urlOf(path),
        ...(path === '/metrics' ? { headers: { authorization: `Bearer ${METRICS_TOKEN}` } } : {}),
      });
      expect([path, res.statusCode]).toEqual([path, Number(status)]);
      expect([path, check(schema, res.json())]).toEqual([path, undefined]);
      checked++;
    }
    expect(checked).toBeGreaterThan(15);
  });

  it('writes no nullable beside a reference or a composition, and a type beside every nullable', () => {
    for (const [where, s] of schemas(doc)) {
      if (s.nullable !== true) continue;
      expect([where, s.$ref, s.allOf, s.oneOf, s.anyOf]).toEqual([where, undefined, undefined, undefined, undefined]);
      expect([where, typeof s.type]).toEqual([where, 'string']);
      if (s.enum) expect([where, s.enum.includes(null)]).toEqual([where, true]);
    }
    // The field of the audit: every goal run carries replay_mode: null.
    expect(doc.components.schemas.RunSummaryDto.properties.replay_mode).toMatchObject({
      nullable: true,
      type: 'string',
    });
  });

  it('documents the constraints the server enforces', async () => {
    const s = doc.components.schemas;
    expect(s.CreateAgentDto.properties.skills.uniqueItems).toBe(true);
    expect(s.CreateWebhookDto.properties.url.format).toBe('uri');
    expect(s.UpdateWebhookDto.properties.description.type).toBe('string');
    expect(s.HttpSettingsDto.properties.origin.format).toBe('uri');
    expect(s.CreateWebhookDto.properties.events.items.pattern).toBeDefined();
    const eventsPath = doc.paths['/agents/{id}/events'].get;
    const typeParam = eventsPath.parameters.find((p: Schema) => p.name === 'type');
    expect(new RegExp(typeParam.schema.pattern).test('run.*')).toBe(true);
    expect(new RegExp(typeParam.schema.pattern).test('run.')).toBe(false);
    const cursor = doc.paths['/agents'].get.parameters.find((p: Schema) => p.name === 'cursor');
    expect(cursor.schema.minLength).toBe(1);
    expect((await t.request({ method: 'GET', url: '/agents?cursor=' })).statusCode).toBe(422);
    // A PATCH must change something, as minProperties says.
    for (const { path, method, op } of operations()) {
      if (method !== 'patch') continue;
      expect(resolveRef(doc, op.requestBody.content['application/json'].schema).minProperties).toBe(1);
      const res = await t.request({ method: 'PATCH', url: urlOf(path), payload: {} });
      expect([path, res.statusCode, res.json().detail]).toEqual([path, 422, expect.stringMatching(/at least one of/)]);
    }
    // One date-time rule: any RFC 3339 date-time, whatever the year.
    for (const since of ['0018-12-15T14:39:16Z', '0999-12-15T14:39:16Z', '2026-12-01t09:30:00+02:00']) {
      const res = await t.request({
        method: 'GET',
        url: `/agents/${ids.id}/recall?since=${encodeURIComponent(since)}`,
      });
      expect([since, res.statusCode]).toEqual([since, 200]);
    }
    const bad = await t.request({ method: 'GET', url: `/agents/${ids.id}/recall?since=2026-02-30T00:00:00Z` });
    expect(bad.statusCode).toBe(422);
  });

  it('answers a method a path does not serve with 405 and Allow', async () => {
    const res = await t.request({ method: 'TRACE', url: '/health', auth: false });
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
    expect(res.json().detail).toMatch(/TRACE is not allowed.*allowed: GET, HEAD/);
    const put = await t.request({ method: 'PUT', url: `/agents/${ids.id}`, payload: {} });
    expect(put.statusCode).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    expect((await t.request({ method: 'GET', url: '/no/such/path' })).statusCode).toBe(404);
  });

  it('says why a __proto__ body is refused', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/agents',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"x","__proto__":{"polluted":true}}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().detail).toMatch(/has a __proto__ key, which is refused/);
  });

  it('serves metrics that promtool finds clean', async () => {
    const metrics = await t.request({
      method: 'GET',
      url: '/metrics',
      auth: false,
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(metrics.statusCode).toBe(200);
    const checked = await promtool(metrics.body);
    expect(checked).toEqual({ code: 0, output: '' });
  });
});
