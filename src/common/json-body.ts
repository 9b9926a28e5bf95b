import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from './domain-error';

/** Deepest nesting of objects and arrays a request body may have. Our DTOs need 3. */
export const MAX_JSON_DEPTH = 32;

/**
 * Whether JSON text nests objects/arrays deeper than `limit`, found by scanning the text, not by
 * parsing it: the recursive steps after parsing (class-transformer, validation) overflow the stack
 * on a body nested 20,000 deep, so depth must be known before any of them runs.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

// An unpaired UTF-16 surrogate: a high one not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored, or undefined when it can. PostgreSQL text and jsonb hold
 * neither U+0000 nor unpaired surrogates (jsonb refuses the escape, text would get U+FFFD).
 */
export function unstorableReason(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  if (LONE_SURROGATE.test(value)) return 'must not contain unpaired UTF-16 surrogates (invalid Unicode)';
  return undefined;
}

/** The first string (value or key) in a parsed body that cannot be stored, with its dotted path. */
export function findUnstorableString(value: unknown, path = ''): { field: string; reason: string } | undefined {
  if (typeof value === 'string') {
    const reason = unstorableReason(value);
    return reason ? { field: path || 'body', reason } : undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  // Depth is bounded by MAX_JSON_DEPTH before this runs, so recursion is safe.
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const field = path ? `${path}.${key}` : String(key);
    if (typeof key === 'string') {
      const reason = unstorableReason(key);
      if (reason) return { field, reason: `key ${reason}` };
    }
    const found = findUnstorableString(item, field);
    if (found) return found;
  }
  return undefined;
}

/**
 * Fastify's own JSON parser (same prototype-poisoning protection), behind two checks that apply to
 * every route in one place: nesting deeper than MAX_JSON_DEPTH, and strings PostgreSQL cannot
 * store. Both are answered 422 before any transformation or validation runs.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'ignore');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      done(new InvalidInputError('body', `body must not nest objects or arrays deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    // Fastify's parser is synchronous and answers through the callback; it returns nothing to await.
    void parse(request, text, (error, parsed) => {
      if (error) {
        done(error);
        return;
      }
      const unstorable = findUnstorableString(parsed);
      if (unstorable) {
        done(new InvalidInputError(unstorable.field, `${unstorable.field} ${unstorable.reason}`));
        return;
      }
      done(null, parsed);
    });
  });
}
