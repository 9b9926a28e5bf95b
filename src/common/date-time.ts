import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy } from 'class-validator';

/** RFC 3339 `date-time` (the OpenAPI format): date, time with optional fraction, `Z` or an offset. */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/;

const daysIn = (year: number, month: number) =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * Whether `value` is an RFC 3339 date-time, any year from 0000 to 9999 (`T` and `Z` in either
 * case, as the RFC allows). The one rule of every date parameter and field.
 */
export function isDateTime(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  const m = DATE_TIME.exec(value.toUpperCase());
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetOk = m[8] === 'Z' || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= daysIn(year, month) &&
    hour <= 23 &&
    minute <= 59 &&
    // 60: a leap second.
    second <= 60 &&
    offsetOk
  );
}

/** The instant of an RFC 3339 date-time (a leap second counts as the last millisecond of its minute). */
export function parseDateTime(value: string): Date {
  const text = value
    .toUpperCase()
    .replace(/:60(?=(\.\d+)?(Z|[+-]))/, ':59.999')
    .replace(/:59\.999\.\d+/, ':59.999');
  const date = new Date(text);
  // Years below 100: Date's string parser keeps them as written (0018 is the year 18).
  return date;
}

/** An optional query or body field holding an RFC 3339 date-time, documented as such. */
export function DateTimeField(description: string, example?: string): PropertyDecorator {
  return applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', description, ...(example ? { example } : {}) }),
    IsOptional(),
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value)),
    ValidateBy({
      name: 'isDateTime',
      validator: {
        validate: (value: unknown) => isDateTime(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be an RFC 3339 date-time such as 2026-12-01T09:30:00Z`,
      },
    }),
  );
}
