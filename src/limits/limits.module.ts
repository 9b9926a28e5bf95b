import { Module } from '@nestjs/common';
import { LimitsRepository } from './limits.repository';
import { LimitsService } from './limits.service';
import { UsageRepository } from './usage.repository';

/** Tenants' limits as the engine checks them, and model usage per tenant and day. */
@Module({
  providers: [LimitsRepository, LimitsService, UsageRepository],
  exports: [LimitsRepository, LimitsService, UsageRepository],
})
export class LimitsModule {}
