import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ProvenanceController } from './provenance.controller';
import { ProvenanceService } from './provenance.service';

@Module({
  imports: [AgentsModule],
  controllers: [ProvenanceController],
  providers: [ProvenanceService],
  exports: [ProvenanceService],
})
export class ProvenanceModule {}
