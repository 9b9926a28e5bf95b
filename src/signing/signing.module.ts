import { Module } from '@nestjs/common';
import { SecretsModule } from '../secrets/secrets.module';
import { JwksController, SigningKeysController } from './signing.controller';
import { SigningKeysRepository } from './signing-keys.repository';
import { SigningKeys } from './signing-keys.service';

/** The keys AOS signs tokens with, their public set, and their rotation. */
@Module({
  imports: [SecretsModule],
  controllers: [JwksController, SigningKeysController],
  providers: [SigningKeysRepository, SigningKeys],
  exports: [SigningKeys],
})
export class SigningModule {}
