import { ApiProperty } from '@nestjs/swagger';

export class ErrorResponseDto {
  @ApiProperty({ description: 'Human-readable explanation of the error' })
  detail!: string;
}

export class FieldErrorDto {
  @ApiProperty({ description: 'Path of the offending field (dotted for nested fields)', example: 'name' })
  field!: string;

  @ApiProperty({ example: 'name must be shorter than or equal to 200 characters' })
  message!: string;
}

export class ValidationErrorResponseDto extends ErrorResponseDto {
  @ApiProperty({ type: [FieldErrorDto] })
  errors!: FieldErrorDto[];
}
