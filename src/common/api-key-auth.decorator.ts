import { applyDecorators } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from './api-errors.decorator';

export const API_KEY_SECURITY_SCHEME = 'api_key';

/**
 * Documents that a controller needs `X-AOS-Key` (the guard enforces it on every non-@Public route)
 * and may answer 429 when AOS_RATE_LIMIT_PER_MINUTE is set (probes are never limited).
 */
export const ApiKeyAuth = () => applyDecorators(ApiSecurity(API_KEY_SECURITY_SCHEME), ApiErrors(401, 429));
