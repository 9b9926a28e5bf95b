import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { MemoryModule } from '../memory/memory.module';
import { PlannerModule } from '../planner/planner.module';
import { ProvenanceModule } from '../provenance/provenance.module';
import { SkillsModule } from '../skills/skills.module';
import { RunExecutor } from './run-executor';
import { RunMetrics } from './run-metrics';
import { RunQueue } from './run-queue';
import { RunWorker } from './run-worker';
import { RunsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';

@Module({
  imports: [AgentsModule, MemoryModule, PlannerModule, ProvenanceModule, SkillsModule],
  controllers: [RunsController],
  providers: [RunsService, RunsRepository, RunMetrics, RunQueue, RunExecutor, RunWorker],
})
export class RunsModule {}
