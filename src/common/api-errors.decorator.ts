import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto, ValidationErrorResponseDto } from './error-response.dto';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Malformed request (e.g. invalid JSON)',
  401: 'Missing or invalid X-AOS-Key',
  404: 'Not found',
  409: 'Conflicts with the current state',
  413: 'Request body too large',
  422: 'Validation failed',
  429: 'Too many requests (see Retry-After)',
};

/** Documents the `{"detail"}` error bodies an operation can answer with. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Error',
        type: status === 422 ? ValidationErrorResponseDto : ErrorResponseDto,
      }),
    ),
  );
}
