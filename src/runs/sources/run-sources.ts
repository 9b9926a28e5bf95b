import { Injectable } from '@nestjs/common';
import { ModelCallsRepository } from '../../run-record/model-calls.repository';
import { ReplayMode } from '../../run-record/replay-mode.enum';
import { RunWriter } from '../../run-record/run-writer';
import type { ActiveRun } from '../drivers/run-driver';
import { ToolSteps } from '../tools/tool-steps';
import { LiveModelSource, ModelSource, RecordedModelSource } from './model-source';
import { ReplayRecords, ReplaySource } from './replay-records';
import { LiveToolSource, RecordedToolSource, ToolSource } from './tool-source';

/** Where a run's answers and tool results come from. */
export interface Sources {
  models: ModelSource;
  tools: ToolSource;
  /** The record a replay is served from (recorded, model_live); undefined for a run made live. */
  replay: ReplaySource | undefined;
}

/**
 * Picks a run's sources from its replay mode: a goal and a `live` replay make every call;
 * `model_live` asks the models and serves the tools from the original's record; `recorded` serves
 * both. Replay is these adapters, not branches in the drivers.
 */
@Injectable()
export class RunSources {
  constructor(
    private readonly replays: ReplayRecords,
    private readonly liveModels: LiveModelSource,
    private readonly tools: ToolSteps,
    private readonly writer: RunWriter,
    private readonly modelCalls: ModelCallsRepository,
  ) {}

  async for(run: ActiveRun): Promise<Sources> {
    const replay = await this.replays.load(run.claimed);
    return {
      models:
        replay?.mode === ReplayMode.Recorded
          ? new RecordedModelSource(this.writer, this.modelCalls, replay)
          : this.liveModels,
      tools: replay ? new RecordedToolSource(this.tools, replay) : new LiveToolSource(this.tools),
      replay,
    };
  }
}
