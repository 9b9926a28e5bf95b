import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SECURITY_SCHEME, BEARER_SECURITY_SCHEME } from '../common/api-key-auth.decorator';
import { METRICS_SECURITY_SCHEME } from '../metrics/metrics.controller';
import {
  closeRequestSchemas,
  Document,
  dropUnusedSchemas,
  inlineNullableRefs,
  markPublicOperations,
  moveRequestDefaultsToDescriptions,
  unwrapBareRefs,
  requireSomeFieldInPatches,
  stateOperationScopes,
} from './contract-rules';

/** Every tag an operation carries, declared with what it groups (Swagger UI shows these). */
const TAGS: { name: string; description: string }[] = [
  { name: 'agents', description: 'Agents: create, configure, pause, resume, stop, delete' },
  { name: 'runs', description: 'Goals and their runs: status, results, approvals, replays, comparisons' },
  { name: 'memory', description: "An agent's memory: add, recall (ranked full-text), delete" },
  { name: 'provenance', description: 'The audit record of each run: plan, model calls, tool calls, taint' },
  { name: 'events', description: 'The event log: pages and resumable Server-Sent Events streams' },
  { name: 'webhooks', description: 'Signed webhook deliveries of an agent’s events' },
  { name: 'connections', description: 'Accounts connected skills use (SMTP, IMAP, CalDAV, HTTP credentials)' },
  { name: 'skills', description: 'What agents can do: the skill manifests' },
  { name: 'health', description: 'Probes, details for operators, version and metrics' },
  { name: 'tenants', description: 'Tenants (operator), their API keys, limits and usage' },
  { name: 'tokens', description: 'Access and refresh tokens, and the keys AOS signs tokens with' },
];

function sortKeys<T extends Record<string, unknown>>(record: T | undefined): T | undefined {
  if (!record) return record;
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/**
 * The OpenAPI 3 document of the running app. Operation ids are the handler names
 * (`createAgent`), and paths and schemas are sorted so the checked-in copy diffs cleanly. The
 * contract rules (contract-rules.ts) make it say exactly what the server does.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('AOS — Agent Operating System')
    .setDescription(
      'Create agents, hand them goals, and read back their runs, memory and provenance. ' +
        'Every route except /health, /health/live, /health/ready, /version, /auth/token, /.well-known/jwks.json ' +
        'and the docs needs a credential: an API key in X-AOS-Key, or `Authorization: Bearer` with an access ' +
        'token from POST /auth/token (or of the identity provider, or an API key); /metrics has a bearer token ' +
        'of its own. Errors are `{"detail": "..."}`; lists are ' +
        'keyset-paginated `{items, next_cursor}`.',
    )
    .setVersion(version)
    // The package is UNLICENSED (not open source): there is no license text to link.
    .addServer('/', 'This AOS: paths are relative to where it is served')
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-AOS-Key' }, API_KEY_SECURITY_SCHEME)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'An access token from POST /auth/token, a token of the identity provider (AOS_OIDC_ISSUER), or an API key',
      },
      BEARER_SECURITY_SCHEME,
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'AOS_METRICS_TOKEN, for GET /metrics only' },
      METRICS_SECURITY_SCHEME,
    )
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  document.info.license = { name: 'UNLICENSED' };
  const doc = document as unknown as Document;
  inlineNullableRefs(doc);
  unwrapBareRefs(doc);
  closeRequestSchemas(doc);
  requireSomeFieldInPatches(doc);
  markPublicOperations(doc);
  stateOperationScopes(doc);
  moveRequestDefaultsToDescriptions(doc);
  dropUnusedSchemas(doc);
  const used = new Set(
    Object.values(doc.paths).flatMap((ops) => Object.values(ops).flatMap((operation) => operation.tags ?? [])),
  );
  document.tags = TAGS.filter((t) => used.has(t.name));
  document.paths = sortKeys(document.paths) ?? {};
  if (document.components) document.components.schemas = sortKeys(document.components.schemas);
  return document;
}
