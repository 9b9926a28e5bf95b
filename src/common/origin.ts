import { registerDecorator, ValidationOptions } from 'class-validator';

/**
 * An http(s) origin as egress lists hold it: scheme, host and port only, lower case, the default
 * port left out (`https://api.example.com`, `http://10.0.0.5:8080`). Anything with a path, query,
 * credentials or another scheme is not one; undefined then.
 */
export function canonicalOrigin(value: string): string | undefined {
  const text = value.trim().replace(/\/$/, '');
  if (!/^https?:\/\/[^/?#@\s]+$/i.test(text)) return undefined;
  try {
    const url = new URL(text);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/** Strings that are origins become their canonical form; anything else is left for the validator to refuse. */
export const toCanonicalOrigins = ({ value }: { value: unknown }): unknown =>
  Array.isArray(value)
    ? (value as unknown[]).map((v) => (typeof v === 'string' ? (canonicalOrigin(v) ?? v) : v))
    : value;

/** Every item is an absolute http(s) origin (after `toCanonicalOrigins`). */
export function IsOriginList(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isOriginList',
      target: target.constructor,
      propertyName: propertyName as string,
      options: {
        message: `${String(propertyName)} must hold origins like https://api.example.com (scheme, host, optional port; no path)`,
        ...options,
      },
      validator: {
        validate: (value: unknown) =>
          !Array.isArray(value) || value.every((v) => typeof v === 'string' && canonicalOrigin(v) === v),
      },
    });
}
