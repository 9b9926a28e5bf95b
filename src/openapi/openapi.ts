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
        'Every route except /health*, /version and the docs needs the X-AOS-Key header. ' +
        'Errors are `{"detail": "..."}`; lists are keyset-paginated `{items, next_cursor}`.',
    )
    .setVersion(version)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-AOS-Key' }, API_KEY_SECURITY_SCHEME)
    .build();
  const document = SwaggerModule.createDocument(app, config, {
    operationIdFactory: (_controllerKey, methodKey) => methodKey,
  });
  document.paths = sortKeys(document.paths) ?? {};
  if (document.components) document.components.schemas = sortKeys(document.components.schemas);
  return document;
}
