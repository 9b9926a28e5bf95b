import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { ConnectionsModule } from '../connections/connections.module';
import { EventsModule } from '../events/events.module';
import { MemoryModule } from '../memory/memory.module';
import { ModelsModule } from '../models/models.module';
import { PlannerModule } from '../planner/planner.module';
import { LimitsModule } from '../limits/limits.module';
import { SigningModule } from '../signing/signing.module';
import { AgentTokens } from './tools/agent-tokens';
import { RunRecordModule } from '../run-record/run-record.module';
import { SkillsModule } from '../skills/skills.module';
import { ApprovalExpirer } from './approvals/approval-expirer';
import { ApprovalsService } from './approvals/approvals.service';
import { ModelDriver } from './drivers/model-driver';
import { PlanDriver } from './drivers/plan-driver';
import { RUN_DRIVERS } from './drivers/run-driver';
import { RunExecutor } from './queue/run-executor';
import { RunQueue } from './queue/run-queue';
import { RunWorker } from './queue/run-worker';
import { ReplaysService } from './replay/replays.service';
import { RunMetrics } from './run-metrics';
import { RunsController } from './runs.controller';
import { RunsService } from './runs.service';
import { LiveModelSource } from './sources/model-source';
import { ReplayRecords } from './sources/replay-records';
import { RunSources } from './sources/run-sources';
import { ToolSteps } from './tools/tool-steps';

/**
 * The run engine: the queue and its worker, the drivers (one per planner) with their sources, the
 * tool steps, approvals, replays and the runs API. It sits on top: it reads and writes the run
 * record through RunRecordModule, and nothing imports it.
 */
@Module({
  imports: [
    AgentsModule,
    ConnectionsModule,
    EventsModule,
    LimitsModule,
    MemoryModule,
    ModelsModule,
    PlannerModule,
    RunRecordModule,
    SigningModule,
    SkillsModule,
  ],
  controllers: [RunsController],
  providers: [
    RunsService,
    RunMetrics,
    RunQueue,
    RunWorker,
    RunExecutor,
    PlanDriver,
    ModelDriver,
    {
      provide: RUN_DRIVERS,
      useFactory: (plan: PlanDriver, model: ModelDriver) => [plan, model],
      inject: [PlanDriver, ModelDriver],
    },
    RunSources,
    LiveModelSource,
    ReplayRecords,
    ToolSteps,
    AgentTokens,
    ApprovalsService,
    ApprovalExpirer,
    ReplaysService,
  ],
})
export class RunsModule {}
