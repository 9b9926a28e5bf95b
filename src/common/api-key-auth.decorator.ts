import { applyDecorators } from '@nestjs/common';
import { ApiSecurity } from '@nestjs/swagger';
import { ApiErrors } from './api-errors.decorator';

export const API_KEY_SECURITY_SCHEME = 'api_key';

/** Documents that a controller needs `X-AOS-Key` (the guard enforces it on every non-@Public route). */
export const ApiKeyAuth = () => applyDecorators(ApiSecurity(API_KEY_SECURITY_SCHEME), ApiErrors(401));
