import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ProvenanceController } from './provenance.controller';
import { ProvenanceRepository } from './provenance.repository';
import { ProvenanceService } from './provenance.service';

@Module({
  imports: [AgentsModule],
  controllers: [ProvenanceController],
  providers: [ProvenanceService, ProvenanceRepository],
  exports: [ProvenanceService],
})
export class ProvenanceModule {}
