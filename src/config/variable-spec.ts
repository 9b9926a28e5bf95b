import { isURL } from 'class-validator';

export interface Described {
  /** What it means, as the README table says it. */
  doc: string;
  /** The default as the README shows it, where it is not one value (computed, or read elsewhere). */
  shown?: string;
}
export interface IntSpec extends Described {
  type: 'int';
  min: number;
  max?: number;
  says?: string;
  default?: number;
}
export interface NumberSpec extends Described {
  type: 'number';
  min: number;
  max?: number;
  says?: string;
  default?: number;
}
export interface BoolSpec extends Described {
  type: 'bool';
  says?: string;
  default?: boolean;
}
export interface StringSpec extends Described {
  type: 'string';
  default?: string;
}
export interface EnumSpec extends Described {
  type: 'enum';
  values: readonly string[];
  default?: string;
}
export interface UrlSpec extends Described {
  type: 'url';
  protocols: string[];
  says: string;
  default?: string;
}
export interface PatternSpec extends Described {
  type: 'pattern';
  pattern: RegExp;
  says: string;
  default?: string;
}
export type VariableSpec = IntSpec | NumberSpec | BoolSpec | StringSpec | EnumSpec | UrlSpec | PatternSpec;

/** The type of a declared variable's value. */
export type ValueOf<S> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : string;

/** Why one variable's raw value is not acceptable, or its value. */
export function parseOne(
  name: string,
  spec: VariableSpec,
  raw: string | undefined,
): { value: unknown } | { problem: string } {
  const text = raw?.trim();
  if (text === undefined || text === '') return { value: spec.default };
  const got = (value: unknown) => ` (got ${JSON.stringify(value)})`;
  const must = (what: string, value: unknown = raw) => ({ problem: `${name} must be ${what}${got(value)}` });
  // URLs may carry credentials and patterns are mostly keys: their refusal never repeats the value.
  const mustQuietly = (what: string) => ({ problem: `${name} must be ${what}` });
  switch (spec.type) {
    case 'int':
    case 'number': {
      const shape = spec.type === 'int' ? /^-?\d+$/ : /^\d+(\.\d+)?$/;
      if (!shape.test(text)) return must(spec.says ?? (spec.type === 'int' ? 'an integer' : 'a number'));
      const value = Number(text);
      if (value < spec.min) return { problem: `${name} must not be less than ${spec.min}${got(value)}` };
      if (spec.max !== undefined && value > spec.max) {
        return { problem: `${name} must not be greater than ${spec.max}${got(value)}` };
      }
      return { value };
    }
    case 'bool': {
      const s = text.toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(s)) return { value: true };
      if (['0', 'false', 'no', 'off'].includes(s)) return { value: false };
      return must(spec.says ?? 'true or false');
    }
    case 'enum':
      return spec.values.includes(text)
        ? { value: text }
        : { problem: `${name} must be one of the following values: ${spec.values.join(', ')}${got(raw)}` };
    case 'url':
      return isURL(text, { protocols: spec.protocols, require_tld: false, require_protocol: true })
        ? { value: text }
        : mustQuietly(spec.says);
    case 'pattern':
      return spec.pattern.test(text) ? { value: text } : mustQuietly(spec.says);
    case 'string':
      return { value: raw };
  }
}
