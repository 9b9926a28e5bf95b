import { ValidateIf } from 'class-validator';

/**
 * The field may be left out; when present it is validated, null included. class-validator's
 * IsOptional also skips null, which let `{"name": null}` through to a NOT NULL column (a 500).
 * Fields that really accept null keep IsOptional.
 */
export const OptionalField = (): PropertyDecorator => ValidateIf((_object, value) => value !== undefined);
