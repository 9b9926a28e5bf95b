import { Inject, Injectable } from '@nestjs/common';
import { AgentsService } from '../../agents/agents.service';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import type { NewEvent } from '../../events/events.service';
import { ModelContextExceededError, ModelRejectedError, ModelsUnavailableError } from '../../models/model-errors';
import type { AssistantBlock, ModelChoice, ModelMessage, ModelTool } from '../../models/model.types';
import { ModelsService, NoModelProviderError } from '../../models/models.service';
import { LimitsService } from '../../limits/limits.service';
import { UsageRepository } from '../../limits/usage.repository';
import type { Divergence } from '../../run-record/divergence';
import { ModelCallStatus } from '../../run-record/model-call-status.enum';
import { ModelCallRef, ModelCallsRepository } from '../../run-record/model-calls.repository';
import { RunStatus } from '../../run-record/run-status.enum';
import { LeaseLostError, RunWriter } from '../../run-record/run-writer';
import { RunsRepository } from '../../run-record/runs.repository';
import type { ActiveRun } from '../drivers/run-driver';
import { endedAs } from '../drivers/outcomes';
import type { RunEnd } from '../queue/run-queue';
import { modelCallDivergence } from '../replay/replay';
import type { ReplaySource } from './replay-records';

/** One model call of the loop: where it is, and what is asked. */
export interface ModelTurn {
  index: number;
  step: number;
  system: string;
  messages: ModelMessage[];
  tools: ModelTool[];
  memoryIds: string[];
  models: ModelChoice;
  toolChoice: 'auto' | 'none';
}

/** What a model source came back with. */
export type ModelAnswer =
  | { answered: { content: AssistantBlock[]; stopReason: string | null; tokens: number } }
  /** The run ends here, so. */
  | { ended: RunEnd }
  /** Every provider failed in a way that may pass: the run waits in the queue for a model. */
  | { waitForModel: ModelsUnavailableError }
  /** The tenant's daily model tokens are spent: the run waits for the next day (or a raised limit). */
  | { waitForTokens: { until: Date; reason: string; limit: number } }
  | { diverged: Divergence }
  /** The run was cancelled or the instance is stopping. */
  | { aborted: true };

/** Where a model-driven run's answers come from: a provider, or a replayed run's record. */
export interface ModelSource {
  /** Why it cannot answer at all (no provider configured), or undefined. */
  unavailable(): string | undefined;
  answer(run: ActiveRun, turn: ModelTurn): Promise<ModelAnswer>;
}

function completedEvent(
  run: ActiveRun,
  turn: Pick<ModelTurn, 'index' | 'step'>,
  answer: {
    provider: string | null;
    model: string | null;
    inputTokens: number;
    outputTokens: number;
    stopReason: string | null;
    durationMs: number;
    content: unknown[];
    replayedFrom?: string;
  },
): NewEvent {
  return {
    agentId: run.agentId,
    runId: run.id,
    type: 'run.model_call.completed',
    data: {
      index: turn.index,
      step: turn.step,
      provider: answer.provider,
      model: answer.model,
      input_tokens: answer.inputTokens,
      output_tokens: answer.outputTokens,
      stop_reason: answer.stopReason,
      duration_ms: Math.round(answer.durationMs),
      tool_calls: answer.content.filter((b) => (b as { type?: string }).type === 'tool_use').length,
      ...(answer.replayedFrom ? { replayed_from: answer.replayedFrom } : {}),
    },
  };
}

/**
 * Answers from the configured providers: each call written ahead (fenced by the lease: a worker
 * that lost the run asks nothing), requested (providers in order, each with its SDK's retries, the
 * run's signal closing the request when it is cancelled), and its answer recorded with the run's
 * and the agent's usage in one fenced write.
 */
@Injectable()
export class LiveModelSource implements ModelSource {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelsService,
    private readonly writer: RunWriter,
    private readonly modelCalls: ModelCallsRepository,
    private readonly runs: RunsRepository,
    private readonly agents: AgentsService,
    private readonly limits: LimitsService,
    private readonly usage: UsageRepository,
  ) {}

  unavailable(): string | undefined {
    return this.models.configured().length === 0 ? new NoModelProviderError().message : undefined;
  }

  async answer(run: ActiveRun, turn: ModelTurn): Promise<ModelAnswer> {
    // Before the call, so a tenant over its day's tokens makes none (calls already in flight finish).
    const budget = await this.limits.tokenBudget(run.claimed.tenant_id);
    if (budget.over) {
      return budget.action === 'fail'
        ? { ended: { status: RunStatus.Failed, errorMessage: budget.reason } }
        : { waitForTokens: { until: budget.until, reason: budget.reason, limit: budget.limit } };
    }
    const ref: ModelCallRef = { runId: run.id, callIndex: turn.index };
    await this.writer.step(run.lease, (w) =>
      this.modelCalls.writeAhead(w.m, { ...ref, step: turn.step, memoryIds: turn.memoryIds }),
    );
    const started = performance.now();
    try {
      const response = await this.models.complete(
        {
          system: turn.system,
          messages: turn.messages,
          tools: turn.tools,
          maxOutputTokens: this.config.llm.maxOutputTokens,
          toolChoice: turn.toolChoice,
        },
        turn.models,
        run.signal,
      );
      const answer = {
        provider: response.provider,
        model: response.model,
        content: response.content,
        stopReason: response.stopReason,
        inputTokens: response.inputTokens,
        outputTokens: response.outputTokens,
        durationMs: performance.now() - started,
        fallbackFrom: response.fallbackFrom,
      };
      await this.writer.step(
        run.lease,
        async (w) => {
          run.agentPolicy = w.policy;
          await this.agents.addUsage(w.m, run.agentId, response);
          await this.runs.addUsage(w.m, run.id, response);
          await this.usage.add(w.m, run.id, response);
          await this.modelCalls.complete(w.m, ref, answer);
          w.emit(completedEvent(run, turn, answer));
        },
        { agentRow: true },
      );
      return {
        answered: {
          content: response.content,
          stopReason: response.stopReason,
          tokens: response.inputTokens + response.outputTokens,
        },
      };
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const durationMs = performance.now() - started;
      const fail = (message: string, cancelled = false) =>
        this.writer.step(run.lease, (w) => this.modelCalls.fail(w.m, ref, { error: message, durationMs, cancelled }));
      if (run.signal.aborted) {
        // A cancel closed the call with the run already; a shutdown still holds it and says so.
        await fail('cancelled', true).catch((e: unknown) => {
          if (!(e instanceof LeaseLostError)) throw e;
        });
        return { aborted: true };
      }
      if (error instanceof ModelsUnavailableError) {
        await fail(error.message);
        return { waitForModel: error };
      }
      if (error instanceof ModelContextExceededError) {
        await fail(error.message);
        return { ended: { status: RunStatus.Partial, errorMessage: `stopped: ${error.message}` } };
      }
      if (error instanceof ModelRejectedError || error instanceof NoModelProviderError) {
        await fail(error.message);
        return { ended: { status: RunStatus.Failed, errorMessage: error.message } };
      }
      throw error;
    }
  }
}

/**
 * A recorded replay's answers: the original's answer at the same index, recorded with a pointer to
 * it and its event, without a request or usage. Where the record has no answer, the replay has
 * left it: a divergence; where the original's call failed, the replay ends as the original did.
 */
export class RecordedModelSource implements ModelSource {
  constructor(
    private readonly writer: RunWriter,
    private readonly modelCalls: ModelCallsRepository,
    private readonly replay: ReplaySource,
  ) {}

  unavailable(): undefined {
    return undefined;
  }

  async answer(run: ActiveRun, turn: ModelTurn): Promise<ModelAnswer> {
    const original = this.replay.modelCalls[turn.index];
    if (!original || original.status === ModelCallStatus.Running) {
      return { diverged: modelCallDivergence(turn.step, turn.index, this.replay.originalStatus) };
    }
    if (original.status !== ModelCallStatus.Succeeded) {
      return {
        ended: {
          status: endedAs(this.replay.originalStatus),
          errorMessage: `as recorded: model call #${turn.index} ${original.status}: ${original.error ?? 'no answer'}`,
        },
      };
    }
    await this.writer.step(run.lease, async (w) => {
      await this.modelCalls.serve(w.m, {
        runId: run.id,
        callIndex: turn.index,
        step: turn.step,
        memoryIds: turn.memoryIds,
        original,
      });
      w.emit(
        completedEvent(run, turn, {
          provider: original.provider,
          model: original.model,
          inputTokens: 0,
          outputTokens: 0,
          stopReason: original.stopReason,
          durationMs: 0,
          content: original.content ?? [],
          replayedFrom: original.id,
        }),
      );
    });
    return {
      answered: {
        content: (original.content ?? []) as AssistantBlock[],
        stopReason: original.stopReason,
        tokens: (original.inputTokens ?? 0) + (original.outputTokens ?? 0),
      },
    };
  }
}
