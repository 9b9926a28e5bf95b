import { applyDecorators, Type } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, registerDecorator, ValidationOptions } from 'class-validator';
import { Brackets, ObjectLiteral, SelectQueryBuilder } from 'typeorm';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

/** Position after the last item of a page: the keyset (created_at, id) of that item. */
export interface Keyset {
  createdAt: Date;
  id: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(`${keyset.createdAt.toISOString()}|${keyset.id}`, 'utf8').toString('base64url');
}

/** The keyset inside an opaque cursor, or undefined when it is not one of ours. */
export function decodeCursor(cursor: string): Keyset | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const [iso, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !iso || !id || !UUID.test(id)) return undefined;
  const createdAt = new Date(iso);
  if (Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== iso) return undefined;
  return { createdAt, id };
}

function IsPageCursor(options?: ValidationOptions): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name: 'isPageCursor',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: 'cursor is not a valid page cursor', ...options },
      validator: { validate: (value: unknown) => typeof value === 'string' && decodeCursor(value) !== undefined },
    });
}

/** A query-string integer as a number (anything else is left for the validators to refuse). */
export const toInteger = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

/** `?limit=`: 1 to 100, default 20, on every list. */
export const PageLimit = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE, type: 'integer' }),
    IsOptional(),
    Transform(toInteger),
    IsInt({ message: 'limit must be an integer' }),
    Min(1),
    Max(MAX_PAGE_SIZE),
  );

/** `?limit=&cursor=`, shared by every list endpoint. */
export class PageQueryDto {
  @PageLimit()
  limit?: number;

  @ApiPropertyOptional({ minLength: 1, description: 'Opaque cursor from the previous page’s next_cursor' })
  @IsOptional()
  @IsPageCursor()
  cursor?: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/**
 * Newest first by (created_at, id), resuming strictly after the cursor's keyset: rows inserted
 * while a client pages land before its first page, so pages never overlap or skip.
 */
export async function findPage<E extends ObjectLiteral & Keyset>(
  qb: SelectQueryBuilder<E>,
  query: PageQueryDto,
): Promise<{ rows: E[]; nextCursor: string | null }> {
  const alias = qb.alias;
  const limit = query.limit ?? DEFAULT_PAGE_SIZE;
  const after = query.cursor ? decodeCursor(query.cursor) : undefined;
  if (after) {
    qb.andWhere(
      new Brackets((w) =>
        w.where(`(${alias}.created_at, ${alias}.id) < (:cursorCreatedAt, :cursorId)`, {
          cursorCreatedAt: after.createdAt,
          cursorId: after.id,
        }),
      ),
    );
  }
  const rows = await qb
    .orderBy(`${alias}.created_at`, 'DESC')
    .addOrderBy(`${alias}.id`, 'DESC')
    .take(undefined)
    .limit(limit + 1)
    .getMany();
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { rows: pageRows, nextCursor: hasMore && last ? encodeCursor(last) : null };
}

/** A concrete, documented `{items, next_cursor}` class for one item type (generated clients need one per list). */
export function PageOf<T>(item: Type<T>, name: string): Type<Page<T>> {
  class PageDto {
    @ApiProperty({ type: [item] })
    items!: T[];

    @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page; null on the last page' })
    next_cursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: name });
  return PageDto;
}
