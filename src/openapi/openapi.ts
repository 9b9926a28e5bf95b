import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { API_KEY_SECURITY_SCHEME } from '../common/api-key-auth.decorator';

function sortKeys<T extends Record<string, unknown>>(record: T | undefined): T | undefined {
  if (!record) return record;
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b))) as T;
}

/**
 * The OpenAPI 3 document of the running app. Operation ids are the handler names
 * (`createAgent`), and paths and schemas are sorted so the checked-in copy diffs cleanly.
 */
export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('AOS — Agent Operating System')
    .setDescription(
      'Create agents, hand them goals, and read back their runs, memory and provenance. ' +
        'Every route except /health*, /version, /metrics and the docs needs the X-AOS-Key header. ' +
        'Errors are `{"detail": "..."}`; lists are keyset-paginated `{items, next_cursor}`.',
    )
    .setVersion(version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-AOS-Key' }, API_KEY_SECURITY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  moveRequestDefaultsToDescriptions(document);
  document.paths = sortKeys(document.paths) ?? {};
  if (document.components) document.components.schemas = sortKeys(document.components.schemas);
  return document;
}

/**
 * Client generators read `default` as "always present": openapi-typescript's default options make
 * such a field required, so a client could not send `{name}` alone. In request bodies the server
 * fills the default in, so there it is stated in the description instead.
 */
function moveRequestDefaultsToDescriptions(document: OpenAPIObject): void {
  // The document's own types are not exported by @nestjs/swagger; only these fields are read.
  type Schema = { properties?: Record<string, Schema>; default?: unknown; description?: string };
  type Operation = { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } };
  const schemas = (document.components?.schemas ?? {}) as Record<string, Schema>;
  const requestSchemas = new Set<string>();
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations as Record<string, Operation>)) {
      for (const media of Object.values(operation.requestBody?.content ?? {})) {
        const ref = media.schema?.$ref;
        if (ref) requestSchemas.add(ref.split('/').pop()!);
      }
    }
  }
  for (const name of requestSchemas) {
    for (const property of Object.values(schemas[name]?.properties ?? {})) {
      if (property.default === undefined) continue;
      const note = `Default: ${JSON.stringify(property.default)}.`;
      property.description = property.description ? `${property.description}. ${note}` : note;
      delete property.default;
    }
  }
}
