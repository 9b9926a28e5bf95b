import { Module } from '@nestjs/common';
import { SecretSealer } from './secret-sealer';

/**
 * The key that seals secrets at rest (AES-256-GCM under AOS_SECRET_KEY) and what it takes at start
 * (checks, rotation, sealing what was stored in the clear). Connections and webhooks keep their
 * own tables and register them here.
 */
@Module({
  providers: [SecretSealer],
  exports: [SecretSealer],
})
export class SecretsModule {}
