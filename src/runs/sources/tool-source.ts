import type { ToolCallEntity } from '../../run-record/tool-call.entity';
import type { ActiveRun } from '../drivers/run-driver';
import { servedResult, servedStatus } from '../replay/replay';
import type { ToolCall, ToolStepResult, ToolSteps } from '../tools/tool-steps';
import type { ReplaySource } from './replay-records';

/** What a replay's record holds at a step, for the decision before the call. */
export interface ReplayedStep {
  original: { skill: string; input: unknown } | null;
  /** A plan replayed as its original recorded it stops where the original stopped. */
  followsOriginalPlan: boolean;
}

/** Where a run's tool calls come from: made live, or served from a replayed run's record. */
export interface ToolSource {
  /** What the original recorded at `step`; undefined when the calls are made live. */
  replayed(step: number): ReplayedStep | undefined;
  make(run: ActiveRun, call: ToolCall, previous?: ToolCallEntity): Promise<ToolStepResult>;
}

/** Calls made now, through the skills, under the policy. */
export class LiveToolSource implements ToolSource {
  constructor(private readonly tools: ToolSteps) {}

  replayed(): undefined {
    return undefined;
  }

  make(run: ActiveRun, call: ToolCall, previous?: ToolCallEntity): Promise<ToolStepResult> {
    return this.tools.execute(run, call, previous);
  }
}

/** Calls answered from the original's record, as it ended, without running anything. */
export class RecordedToolSource implements ToolSource {
  constructor(
    private readonly tools: ToolSteps,
    private readonly replay: ReplaySource,
  ) {}

  replayed(step: number): ReplayedStep {
    const original = this.replay.toolCalls.get(step);
    return {
      original: original ? { skill: original.skillId, input: original.input } : null,
      followsOriginalPlan: this.replay.plan !== null,
    };
  }

  make(run: ActiveRun, call: ToolCall): Promise<ToolStepResult> {
    const original = this.replay.toolCalls.get(call.step)!;
    return this.tools.serve(run, call, {
      original,
      result: servedResult(original),
      status: servedStatus(original.status),
    });
  }
}
