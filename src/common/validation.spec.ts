import { plainToInstance } from 'class-transformer';
import { IsInt, IsString, Length, Matches, Max, Min, ValidateNested, validateSync } from 'class-validator';
import { Type } from 'class-transformer';
import { OptionalField } from './optional-field.decorator';
import { fieldErrors } from './validation';

class Inner {
  @IsInt()
  @Min(1)
  count!: number;
}

class Sample {
  @IsString()
  @Length(1, 5)
  @Matches(/^[a-z]*$/)
  name!: string;

  @OptionalField()
  @IsInt()
  @Max(9)
  priority?: number;

  @OptionalField()
  @ValidateNested()
  @Type(() => Inner)
  inner?: Inner;
}

function errorsFor(body: Record<string, unknown>) {
  return fieldErrors(validateSync(plainToInstance(Sample, body)));
}

describe('validation messages', () => {
  it('says a missing required field is required, and nothing else about it', () => {
    expect(errorsFor({})).toEqual([{ field: 'name', message: 'name is required' }]);
  });

  it('names a null field as must not be null, also for optional fields', () => {
    expect(errorsFor({ name: null, priority: null })).toEqual([
      { field: 'name', message: 'name must not be null' },
      { field: 'priority', message: 'priority must not be null' },
    ]);
  });

  it('gives only the type message when the value has the wrong type', () => {
    expect(errorsFor({ name: 42 })).toEqual([{ field: 'name', message: 'name must be a string' }]);
    expect(errorsFor({ name: 'ok', priority: 2.5 })).toEqual([
      { field: 'priority', message: 'priority must be an integer number' },
    ]);
  });

  it('lists every rule a value of the right type breaks', () => {
    expect(errorsFor({ name: 'TOOLONG' }).map((e) => e.field)).toEqual(['name', 'name']);
  });

  it('leaves an omitted optional field alone and paths nested fields', () => {
    expect(errorsFor({ name: 'ok' })).toEqual([]);
    expect(errorsFor({ name: 'ok', inner: { count: 0 } })).toEqual([
      { field: 'inner.count', message: 'count must not be less than 1' },
    ]);
    expect(errorsFor({ name: 'ok', inner: {} })).toEqual([
      { field: 'inner.count', message: 'inner.count is required' },
    ]);
  });
});
