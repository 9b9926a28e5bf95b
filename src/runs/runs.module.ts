import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { EventsModule } from '../events/events.module';
import { MemoryModule } from '../memory/memory.module';
import { ModelsModule } from '../models/models.module';
import { PlannerModule } from '../planner/planner.module';
import { ProvenanceModule } from '../provenance/provenance.module';
import { SkillsModule } from '../skills/skills.module';
import { ConnectionsModule } from '../connections/connections.module';
import { AgentLoop } from './agent-loop';
import { ApprovalExpirer } from './approval-expirer';
import { RunExecutor } from './run-executor';
import { RunMetrics } from './run-metrics';
import { RunQueue } from './run-queue';
import { RunWorker } from './run-worker';
import { RunsController } from './runs.controller';
import { RunsRepository } from './runs.repository';
import { RunsService } from './runs.service';
import { ReplayRecords } from './replay-records';
import { ReplaysService } from './replays.service';
import { ToolSteps } from './tool-steps';

@Module({
  imports: [
    AgentsModule,
    ConnectionsModule,
    EventsModule,
    MemoryModule,
    ModelsModule,
    PlannerModule,
    ProvenanceModule,
    SkillsModule,
  ],
  controllers: [RunsController],
  providers: [
    RunsService,
    RunsRepository,
    RunMetrics,
    RunQueue,
    ToolSteps,
    AgentLoop,
    RunExecutor,
    RunWorker,
    ApprovalExpirer,
    ReplayRecords,
    ReplaysService,
  ],
})
export class RunsModule {}
