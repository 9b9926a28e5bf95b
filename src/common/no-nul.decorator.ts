import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: refuse it as input rather than fail at the database. */
export const NoNulCharacters = (): PropertyDecorator =>
  // eslint-disable-next-line no-control-regex -- NUL is exactly what this refuses
  Matches(/^[^\u0000]*$/, { message: ({ property }) => `${property} must not contain NUL characters` });
