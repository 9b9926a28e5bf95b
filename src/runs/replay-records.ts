import { Injectable } from '@nestjs/common';
import type { Plan, PlanStep } from '../planner/planner';
import type { ModelCallEntity } from '../provenance/model-call.entity';
import { ProvenanceService } from '../provenance/provenance.service';
import type { ToolCallEntity } from '../provenance/tool-call.entity';
import { ReplayMode } from './replay-mode.enum';
import type { ClaimedRun } from './run-queue';

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
  constructor(private readonly provenance: ProvenanceService) {}

  async load(run: Pick<ClaimedRun, 'replay_of' | 'replay_mode'>): Promise<ReplaySource | undefined> {
    const mode = run.replay_mode;
    if (!run.replay_of || (mode !== ReplayMode.Recorded && mode !== ReplayMode.ModelLive)) return undefined;
    const [original, modelCalls, toolCalls] = await Promise.all([
      this.provenance.find(run.replay_of),
      this.provenance.modelCalls(run.replay_of),
      this.provenance.toolCalls(run.replay_of),
    ]);
    return {
      mode,
      originalId: run.replay_of,
      originalStatus: original?.status ?? 'deleted',
      plan:
        original?.plan && original.planner ? { planner: original.planner, steps: original.plan as PlanStep[] } : null,
      modelCalls,
      toolCalls: new Map(toolCalls.map((t) => [t.stepIndex, t])),
    };
  }
}
