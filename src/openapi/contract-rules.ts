import { defaultScope, Scope, SCOPES_EXTENSION } from '../common/scopes';
/**
 * Rewrites of the generated OpenAPI 3.0 document so that it says exactly what the server does:
 * generated clients trust it, and linters (Redocly, Spectral) read it. Each rule is a small pure
 * function over the document, unit-tested beside it.
 */

// The document's own types are not exported by @nestjs/swagger; these are the fields read here.
export type Schema = Record<string, unknown> & {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  nullable?: boolean;
  allOf?: Schema[];
  oneOf?: Schema[];
  anyOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  default?: unknown;
  description?: string;
};
export interface Operation {
  tags?: string[];
  summary?: string;
  description?: string;
  security?: Record<string, string[]>[];
  parameters?: { schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
export interface Document {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const refName = (ref: string) => ref.split('/').pop()!;

/** Every schema object reachable from `schema` (itself included), depth first. */
function visit(schema: Schema | undefined, fn: (s: Schema) => void): void {
  if (!schema || typeof schema !== 'object') return;
  fn(schema);
  for (const child of [
    ...(schema.allOf ?? []),
    ...(schema.oneOf ?? []),
    ...(schema.anyOf ?? []),
    ...Object.values(schema.properties ?? {}),
  ]) {
    visit(child, fn);
  }
  if (schema.items) visit(schema.items, fn);
  if (typeof schema.additionalProperties === 'object') visit(schema.additionalProperties, fn);
}

/** Every schema of the document: components, parameters, bodies and responses. */
function everySchema(document: Document, fn: (s: Schema) => void): void {
  for (const schema of Object.values(document.components?.schemas ?? {})) visit(schema, fn);
  for (const operations of Object.values(document.paths)) {
    for (const op of Object.values(operations)) {
      for (const p of op.parameters ?? []) visit(p.schema, fn);
      for (const media of Object.values(op.requestBody?.content ?? {})) visit(media.schema, fn);
      for (const response of Object.values(op.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) visit(media.schema, fn);
      }
    }
  }
}

/**
 * OpenAPI 3.0 ignores `nullable` beside a composition without `type`, and a referenced schema
 * cannot take null in any case (null fails the `$ref` that `allOf` requires): strict clients
 * refused the `null` such fields carry. Each `{nullable, allOf: [$ref]}` becomes the referenced
 * schema inlined with `nullable: true` (an enum gets `null` among its values), keeping the field's
 * own description.
 */
export function inlineNullableRefs(document: Document): void {
  const components = document.components?.schemas ?? {};
  everySchema(document, (schema) => {
    if (schema.nullable !== true) return;
    const ref = schema.allOf?.length === 1 ? schema.allOf[0].$ref : schema.$ref;
    if (!ref) return;
    const target = components[refName(ref)];
    if (!target) return;
    const copy = structuredClone(target);
    delete schema.allOf;
    delete schema.$ref;
    const own = { ...schema };
    for (const key of Object.keys(schema)) delete schema[key];
    Object.assign(schema, copy, own, { nullable: true });
    if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum = [...schema.enum, null];
  });
}

/**
 * `allOf` around one `$ref` is how a described reference is written in OpenAPI 3.0 (siblings of a
 * `$ref` are ignored); without a description it is only noise, and becomes the bare `$ref`.
 */
export function unwrapBareRefs(document: Document): void {
  everySchema(document, (schema) => {
    if (schema.allOf?.length !== 1 || !schema.allOf[0].$ref) return;
    if (Object.keys(schema).some((k) => k !== 'allOf')) return;
    schema.$ref = schema.allOf[0].$ref;
    delete schema.allOf;
  });
}

/** Component schemas used by a request body, directly or through references. */
export function requestSchemaNames(document: Document): Set<string> {
  const components = document.components?.schemas ?? {};
  const names = new Set<string>();
  const follow = (schema: Schema | undefined) =>
    visit(schema, (s) => {
      if (!s.$ref) return;
      const name = refName(s.$ref);
      if (names.has(name)) return;
      names.add(name);
      follow(components[name]);
    });
  for (const operations of Object.values(document.paths)) {
    for (const op of Object.values(operations)) {
      for (const media of Object.values(op.requestBody?.content ?? {})) follow(media.schema);
    }
  }
  return names;
}

/**
 * Every request body refuses unknown fields (422), at every level: its schemas say
 * `additionalProperties: false` where they list properties and say nothing else.
 */
export function closeRequestSchemas(document: Document): void {
  const components = document.components?.schemas ?? {};
  const close = (schema: Schema | undefined) =>
    visit(schema, (s) => {
      if (s.properties && s.additionalProperties === undefined) s.additionalProperties = false;
    });
  for (const name of requestSchemaNames(document)) close(components[name]);
  for (const operations of Object.values(document.paths)) {
    for (const op of Object.values(operations)) {
      for (const media of Object.values(op.requestBody?.content ?? {})) close(media.schema);
    }
  }
}

/** A PATCH must change something: its body schema says `minProperties: 1` (the server answers `{}` with 422). */
export function requireSomeFieldInPatches(document: Document): void {
  const components = document.components?.schemas ?? {};
  for (const operations of Object.values(document.paths)) {
    const patch = operations.patch;
    if (!patch) continue;
    for (const media of Object.values(patch.requestBody?.content ?? {})) {
      const schema = media.schema?.$ref ? components[refName(media.schema.$ref)] : media.schema;
      if (schema) schema.minProperties = 1;
    }
  }
}

/** Operations without a security requirement are public: `security: []` says so (instead of inheriting none). */
export function markPublicOperations(document: Document): void {
  for (const operations of Object.values(document.paths)) {
    for (const op of Object.values(operations)) {
      if (op.security === undefined) op.security = [];
    }
  }
}

/**
 * Each operation behind a credential names the scope it requires, in `x-aos-scopes` and in its
 * description; an operation that declares none gets the default the guard applies too.
 */
export function stateOperationScopes(document: Document): void {
  for (const [, operations] of Object.entries(document.paths)) {
    for (const [method, op] of Object.entries(operations)) {
      if (op.security !== undefined && op.security.length === 0) continue;
      const record = op as unknown as Record<string, unknown>;
      const scopes = (record[SCOPES_EXTENSION] as Scope[] | undefined) ?? [defaultScope(method.toUpperCase())];
      record[SCOPES_EXTENSION] = scopes;
      const note = `Scope: \`${scopes.join('`, `')}\`.`;
      op.description = op.description ? `${op.description}\n\n${note}` : note;
    }
  }
}

/**
 * Client generators read `default` as "always present": openapi-typescript's default options make
 * such a field required, so a client could not send `{name}` alone. In request bodies the server
 * fills the default in, so there it is stated in the description instead.
 */
export function moveRequestDefaultsToDescriptions(document: Document): void {
  const components = document.components?.schemas ?? {};
  for (const name of requestSchemaNames(document)) {
    for (const property of Object.values(components[name]?.properties ?? {})) {
      if (property.default === undefined) continue;
      const note = `Default: ${JSON.stringify(property.default)}.`;
      property.description = property.description ? `${property.description}. ${note}` : note;
      delete property.default;
    }
  }
}

/** Component schemas nothing refers to any more (after inlining) are dropped. */
export function dropUnusedSchemas(document: Document): void {
  const components = document.components?.schemas;
  if (!components) return;
  const used = new Set<string>();
  const follow = (schema: Schema | undefined) =>
    visit(schema, (s) => {
      const mapping = (s.discriminator as { mapping?: Record<string, string> } | undefined)?.mapping;
      for (const ref of [s.$ref, ...Object.values(mapping ?? {})]) {
        if (!ref || used.has(refName(ref))) continue;
        used.add(refName(ref));
        follow(components[refName(ref)]);
      }
    });
  for (const operations of Object.values(document.paths)) {
    for (const op of Object.values(operations)) {
      for (const p of op.parameters ?? []) follow(p.schema);
      for (const media of Object.values(op.requestBody?.content ?? {})) follow(media.schema);
      for (const response of Object.values(op.responses ?? {})) {
        for (const media of Object.values(response.content ?? {})) follow(media.schema);
      }
    }
  }
  for (const name of Object.keys(components)) if (!used.has(name)) delete components[name];
}
