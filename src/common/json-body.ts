import type { FastifyInstance } from 'fastify';
import { HttpStatus } from '@nestjs/common';
import secureJson from 'secure-json-parse';
import { DomainError, InvalidInputError } from './domain-error';

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

/** A body that is not JSON, or JSON that is refused whatever the route: 400 with why. */
export class MalformedBodyError extends DomainError {
  readonly status = HttpStatus.BAD_REQUEST;
  readonly code = 'BODY.MALFORMED';
}

/**
 * The JSON text parsed as Fastify would (secure-json-parse, the prototype-poisoning protection
 * Fastify uses), but saying why a body is refused: a `__proto__` key is not "invalid JSON".
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new MalformedBodyError("Body cannot be empty when content-type is set to 'application/json'");
  try {
    return secureJson.parse(text, { protoAction: 'error', constructorAction: 'ignore' });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/prototype property/i.test(message)) {
      throw new MalformedBodyError(
        'The JSON body has a __proto__ key, which is refused: it could alter the objects it is merged into',
      );
    }
    throw new MalformedBodyError(`Body is not valid JSON: ${message}`);
  }
}

/**
 * The JSON parser of every route, with two more checks in one place: nesting deeper than
 * MAX_JSON_DEPTH, and strings PostgreSQL cannot store. Both are answered 422 before any
 * transformation or validation runs.
 */
export function registerJsonBodyParser(fastify: FastifyInstance): void {
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = body as string;
    if (exceedsJsonDepth(text, MAX_JSON_DEPTH)) {
      done(new InvalidInputError('body', `body must not nest objects or arrays deeper than ${MAX_JSON_DEPTH} levels`));
      return;
    }
    let parsed: unknown;
    try {
      parsed = parseJsonBody(text);
    } catch (error) {
      done(error as Error);
      return;
    }
    const unstorable = findUnstorableString(parsed);
    if (unstorable) {
      done(new InvalidInputError(unstorable.field, `${unstorable.field} ${unstorable.reason}`));
      return;
    }
    done(null, parsed);
  });
}
