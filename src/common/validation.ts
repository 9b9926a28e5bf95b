import { HttpStatus, UnprocessableEntityException, ValidationError, ValidationPipe } from '@nestjs/common';
import * as classValidator from 'class-validator';
import { InvalidInputError } from './domain-error';
import type { FieldErrorDto } from './error-response.dto';

// Constraints that check what kind of value a field holds. When one fails, the field's other
// messages (length, range, pattern) describe a value it does not have, so only these are kept.
const TYPE_CONSTRAINTS = new Set([
  'isString',
  'isInt',
  'isNumber',
  'isBoolean',
  'isObject',
  'isArray',
  'isEnum',
  'isIn',
  'isDateString',
  'isUuid',
  'isNotEmptyObject',
]);

/**
 * One message per problem, with the field's dotted path: a missing field is "required", a null
 * is "must not be null" (nullable fields never reach here), a value of the wrong kind gets its
 * type message alone, anything else every rule it broke.
 */
export function fieldErrors(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const constraints = Object.entries(error.constraints ?? {});
    let own: FieldErrorDto[];
    if (constraints.length === 0) own = [];
    else if (error.value === undefined) own = [{ field, message: `${field} is required` }];
    else if (error.value === null) own = [{ field, message: `${field} must not be null` }];
    else {
      const typeFailures = constraints.filter(([name]) => TYPE_CONSTRAINTS.has(name));
      own = (typeFailures.length > 0 ? typeFailures : constraints).map(([, message]) => ({ field, message }));
    }
    return [...own, ...fieldErrors(error.children ?? [], field)];
  });
}

/**
 * Strict input: unknown fields are refused (never silently dropped), types are converted only
 * where a DTO says so, and failures become 422 `{detail, errors: [{field, message}]}`.
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    errorHttpStatusCode: HttpStatus.UNPROCESSABLE_ENTITY,
    // Our DTOs have no async rules: the synchronous validator gives the same errors without a
    // promise per constraint, a measurable share of a small request.
    validatorPackage: {
      ...classValidator,
      validate: (object: object, options?: classValidator.ValidatorOptions) =>
        Promise.resolve(classValidator.validateSync(object, options)),
    },
    exceptionFactory: (errors) => {
      const found = fieldErrors(errors);
      const summary = found.map((e) => e.message).join('; ');
      return new UnprocessableEntityException({ detail: `Validation failed: ${summary}`, errors: found });
    },
  });
}

/**
 * A PATCH must change something: a body that sets none of its DTO's fields is refused with 422
 * naming them (the OpenAPI document says `minProperties: 1`).
 */
export function assertSomeField(dto: object): void {
  if (Object.values(dto).some((value) => value !== undefined)) return;
  const fields = [
    ...new Set(
      classValidator
        .getMetadataStorage()
        .getTargetValidationMetadatas(dto.constructor, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
  throw new InvalidInputError('body', `body must set at least one of: ${fields.join(', ')}`);
}
