import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorResponseDto, ValidationErrorResponseDto } from './error-response.dto';

/** What each error status means, with an example body of its own (Swagger UI shows it). */
const ERRORS: Record<number, { description: string; example: Record<string, unknown> }> = {
  400: {
    description: 'Malformed request (e.g. invalid JSON)',
    example: { detail: 'Malformed JSON body: Unexpected end of JSON input' },
  },
  401: {
    description: 'Missing or invalid credential (X-AOS-Key or Authorization: Bearer)',
    example: {
      detail: 'Missing credential: send an API key in the X-AOS-Key header, or a token as Authorization: Bearer',
    },
  },
  403: {
    description: 'The credential lacks the scope the operation requires',
    example: { detail: 'This operation needs the "admin" scope; this credential has: read, write' },
  },
  404: {
    description: 'Not found',
    example: { detail: 'Agent 8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e not found' },
  },
  409: {
    description: 'Conflicts with the current state',
    example: { detail: 'Agent 8f8a1c2e-2b4f-4b8e-9d8a-1c2e2b4f4b8e is stopped; resume it before giving it goals' },
  },
  410: {
    description: 'The resume point is older than event retention',
    example: {
      detail: 'Events after 1042 are no longer kept (retention pruned up to 5000); start again without after',
    },
  },
  413: { description: 'Request body too large', example: { detail: 'Request body is too large' } },
  415: {
    description: 'A body in a media type the route does not take',
    example: { detail: 'Unsupported Media Type: this route takes application/json' },
  },
  422: {
    description: 'Validation failed',
    example: {
      detail: 'Validation failed: name is required',
      errors: [{ field: 'name', message: 'name is required' }],
    },
  },
  503: {
    description: 'Not available: this instance lacks the configuration it needs, or a dependency is down',
    example: { detail: 'Connections need AOS_SECRET_KEY, which this instance does not have' },
  },
  429: {
    description: 'Too many requests (see Retry-After)',
    example: {
      detail: 'Too many requests: at most 600 per minute from one credential or address; retry in 42 seconds',
    },
  },
};

/** Documents the `{"detail"}` error bodies an operation can answer with. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: ERRORS[status]?.description ?? 'Error',
        type: status === 422 ? ValidationErrorResponseDto : ErrorResponseDto,
        example: ERRORS[status]?.example ?? { detail: 'Error' },
      }),
    ),
  );
}
