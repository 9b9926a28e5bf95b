import { ServiceUnavailableError } from '../common/domain-error';

export class SecretKeyMissingError extends ServiceUnavailableError {
  constructor() {
    super(
      'SECRETS.NO_KEY',
      'Connections and webhooks need AOS_SECRET_KEY (32 random bytes in base64), which this instance does not have',
    );
  }
}
