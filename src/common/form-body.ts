import type { FastifyInstance } from 'fastify';
import { HttpStatus } from '@nestjs/common';
import { DomainError, InvalidInputError } from './domain-error';
import { findUnstorableString } from './json-body';

/** A form body sent to a route that speaks JSON only. */
export class FormBodyRefusedError extends DomainError {
  readonly status = HttpStatus.UNSUPPORTED_MEDIA_TYPE;
  readonly code = 'REQUEST.MEDIA_TYPE';
  constructor() {
    super('Unsupported Media Type: this route takes application/json');
  }
}

/**
 * Form-encoded bodies (`application/x-www-form-urlencoded`), for the routes in `paths` only (the
 * OAuth token endpoint, which OAuth clients call with forms); everywhere else they are 415 like
 * any body that is not JSON. A parameter given twice becomes a list, for the route to refuse.
 */
export function registerFormBodyParser(fastify: FastifyInstance, paths: readonly string[]): void {
  const allowed = new Set(paths);
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    if (!allowed.has(request.routeOptions.url ?? '')) {
      done(new FormBodyRefusedError());
      return;
    }
    const parsed: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    for (const [name, value] of new URLSearchParams(body as string)) {
      // As the JSON parser does: these keys could alter objects a body is merged into.
      if (name === '__proto__' || name === 'constructor' || name === 'prototype') {
        done(new InvalidInputError(name, `${name} is not a parameter name this API takes`));
        return;
      }
      const before = parsed[name];
      parsed[name] = before === undefined ? value : [...[before].flat(), value];
    }
    const unstorable = findUnstorableString(parsed);
    if (unstorable) {
      done(new InvalidInputError(unstorable.field, `${unstorable.field} ${unstorable.reason}`));
      return;
    }
    done(null, { ...parsed });
  });
}
