import { applyDecorators } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from './api-errors.decorator';

export const API_KEY_SECURITY_SCHEME = 'api_key';
export const BEARER_SECURITY_SCHEME = 'bearer';

/**
 * Documents that a controller needs a credential, `X-AOS-Key` or `Authorization: Bearer` (the
 * guard enforces it on every non-@Public route), and may answer 429 when a rate limit is set
 * (probes are never limited).
 */
export const ApiKeyAuth = () =>
  applyDecorators(ApiSecurity(API_KEY_SECURITY_SCHEME), ApiSecurity(BEARER_SECURITY_SCHEME), ApiErrors(401, 429));
