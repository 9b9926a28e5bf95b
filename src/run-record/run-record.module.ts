import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { EventsModule } from '../events/events.module';
import { ModelCallsRepository } from './model-calls.repository';
import { ProvenanceController } from './provenance.controller';
import { RunRecordService } from './run-record.service';
import { RunWriter } from './run-writer';
import { RunStatesRepository } from './run-states.repository';
import { RunsRepository } from './runs.repository';
import { ToolCallsRepository } from './tool-calls.repository';

/**
 * The run record: a run (its status, timing, settings snapshot, plan) and its call journal (model
 * calls, tool calls), the one owner of the runs, model_calls and tool_calls tables. It sits below
 * everything that reads a run — the engine that executes runs, memory, the API — and imports none
 * of them.
 */
@Module({
  imports: [AgentsModule, EventsModule],
  controllers: [ProvenanceController],
  providers: [
    RunRecordService,
    RunWriter,
    RunsRepository,
    RunStatesRepository,
    ToolCallsRepository,
    ModelCallsRepository,
  ],
  exports: [
    RunRecordService,
    RunWriter,
    RunsRepository,
    RunStatesRepository,
    ToolCallsRepository,
    ModelCallsRepository,
  ],
})
export class RunRecordModule {}
