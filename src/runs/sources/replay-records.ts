import { Injectable } from '@nestjs/common';
import type { Plan, PlanStep } from '../../planner/planner';
import type { ModelCallEntity } from '../../run-record/model-call.entity';
import { ReplayMode } from '../../run-record/replay-mode.enum';
import { RunRecordService } from '../../run-record/run-record.service';
import type { ClaimedRun } from '../../run-record/run-states.repository';
import type { ToolCallEntity } from '../../run-record/tool-call.entity';

/** The record a replay is served from: the original's model calls by index and tool calls by step. */
export interface ReplaySource {
  mode: ReplayMode.Recorded | ReplayMode.ModelLive;
  originalId: string;
  /** How the original ended (named in a divergence where its record stops). */
  originalStatus: string;
  /** A rule-based original's plan, as recorded (null for a model-driven run). */
  plan: Plan | null;
  modelCalls: ModelCallEntity[];
  toolCalls: Map<number, ToolCallEntity>;
}

/** Loads the original's record for a replay that is served from it (recorded and model-live). */
@Injectable()
export class ReplayRecords {
  constructor(private readonly record: RunRecordService) {}

  async load(run: Pick<ClaimedRun, 'replay_of' | 'replay_mode'>): Promise<ReplaySource | undefined> {
    const mode = run.replay_mode;
    if (!run.replay_of || (mode !== ReplayMode.Recorded && mode !== ReplayMode.ModelLive)) return undefined;
    const [original, journal] = await Promise.all([
      this.record.find(run.replay_of),
      this.record.journal(run.replay_of),
    ]);
    return {
      mode,
      originalId: run.replay_of,
      originalStatus: original?.status ?? 'deleted',
      plan:
        original?.plan && original.planner ? { planner: original.planner, steps: original.plan as PlanStep[] } : null,
      modelCalls: journal.modelCalls,
      toolCalls: new Map(journal.toolCalls.map((t) => [t.stepIndex, t])),
    };
  }
}
