import { HttpStatus, Param, ParseUUIDPipe, UnprocessableEntityException } from '@nestjs/common';

/**
 * A UUID path parameter: a regex check (ParseUUIDPipe) rather than a DTO run through
 * class-transformer and class-validator, since ids sit on every hot path. Failures keep the
 * contract's 422 shape. Document it with `@ApiParam({ name, format: 'uuid' })`.
 */
export function UuidParam(name: string): ParameterDecorator {
  return Param(
    name,
    new ParseUUIDPipe({
      version: 'all',
      errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY,
      exceptionFactory: () => {
        const message = `${name} must be a UUID`;
        return new UnprocessableEntityException({
          detail: `Validation failed: ${message}`,
          errors: [{ field: name, message }],
        });
      },
    }),
  );
}
