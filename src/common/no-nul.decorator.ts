import { Matches } from 'class-validator';

/** PostgreSQL text cannot hold U+0000: refuse it as input rather than fail at the database. */
export const NoNulCharacters = (): PropertyDecorator =>
  Matches(/^[^\u0000]*$/, { message: ({ property }) => `${property} must not contain NUL characters` });
