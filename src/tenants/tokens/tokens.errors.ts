import { HttpStatus } from '@nestjs/common';
import { DomainError } from '../../common/domain-error';

/** The error codes of OAuth 2.0 (RFC 6749 §5.2) the token endpoint answers with. */
export type OAuthErrorCode =
  'invalid_request' | 'invalid_grant' | 'invalid_scope' | 'unsupported_grant_type' | 'temporarily_unavailable';

const STATUS: Record<OAuthErrorCode, HttpStatus> = {
  invalid_request: HttpStatus.BAD_REQUEST,
  invalid_grant: HttpStatus.BAD_REQUEST,
  invalid_scope: HttpStatus.BAD_REQUEST,
  unsupported_grant_type: HttpStatus.BAD_REQUEST,
  temporarily_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
};

/** A refused token request: `{detail, error, error_description}`, so OAuth clients and ours both read it. */
export class OAuthError extends DomainError {
  readonly status: HttpStatus;
  readonly code: string;
  override readonly fields: Record<string, string>;

  constructor(error: OAuthErrorCode, description: string) {
    super(description);
    this.status = STATUS[error];
    this.code = `OAUTH.${error.toUpperCase()}`;
    this.fields = { error, error_description: description };
  }
}
