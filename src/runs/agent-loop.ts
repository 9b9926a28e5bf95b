import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { EventsService, NewEvent } from '../events/events.service';
import { MemoryType } from '../memory/memory-type.enum';
import { MemoryService } from '../memory/memory.service';
import { ModelContextExceededError, ModelRejectedError, ModelsUnavailableError } from '../models/model-errors';
import type {
  AssistantBlock,
  ModelChoice,
  ModelMessage,
  ModelTool,
  ToolResultBlock,
  ToolUseBlock,
} from '../models/model.types';
import { ModelsService, NoModelProviderError } from '../models/models.service';
import { ModelCallStatus } from '../provenance/model-call-status.enum';
import { ProvenanceService } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import type { ModelCallEntity } from '../provenance/model-call.entity';
import type { ToolCallEntity } from '../provenance/tool-call.entity';
import { SkillRegistry } from '../skills/skill-registry';
import { declinedText } from './approval-policy';
import { CONTEXT_MEMORIES, goalMessage, systemPrompt, toolResultText } from './model-context';
import { policyOf, RECALLED_MEMORY, RunPolicy, Taint } from './run-policy';
import { loopStepResumption, modelWait } from './run-outcome';
import type { ClaimedRun } from './run-queue';
import { RunQueue } from './run-queue';
import { RecalledMemory, recalledTrusted, RunSettings } from './run-settings';
import { modelCallDivergence, toolCallDivergence } from './replay';
import { ReplayMode } from './replay-mode.enum';
import { ReplayRecords, ReplaySource } from './replay-records';
import { RunsRepository } from './runs.repository';
import { ToolStepResult, ToolSteps } from './tool-steps';

/**
 * The model-driven run: context (instructions, goal, recalled memories), then model calls and the
 * tool calls they ask for until the model answers without one. Every model call is written ahead
 * and its answer recorded; a reclaimed run rebuilds the conversation from that record, so a
 * completed model call is never requested again and a finished tool call never repeated. Bounded
 * by the agent's max_steps, the run's token budget and the SDKs' timeouts; when no provider
 * answers, the run waits in the queue with backoff instead of failing.
 */
@Injectable()
export class AgentLoop {
  private readonly logger = new Logger(AgentLoop.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly models: ModelsService,
    private readonly skills: SkillRegistry,
    private readonly provenance: ProvenanceService,
    private readonly memory: MemoryService,
    private readonly agents: AgentsService,
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly tools: ToolSteps,
    private readonly events: EventsService,
    private readonly replays: ReplayRecords,
  ) {}

  async run(run: ClaimedRun, settings: RunSettings, owner: string, signal: AbortSignal): Promise<void> {
    const finish = (status: RunStatus, errorMessage: string | null) =>
      this.queue.finish(owner, run.id, { status, errorMessage });
    // A recorded replay asks no model: it runs where none is configured.
    if (run.replay_mode !== ReplayMode.Recorded && this.models.configured().length === 0) {
      await finish(RunStatus.Failed, new NoModelProviderError().message);
      return;
    }
    const policy = policyOf(settings);
    // The tools offered: what the stricter of the frozen and the current policy allows now (each
    // call is checked again when it is made).
    const offered = (await this.tools.effectivePolicy({ run, policy })).skills;
    const tools: ModelTool[] = this.skills
      .manifests()
      .filter((m) => offered === null || offered.includes(m.skill_id))
      .map((m) => ({ name: m.skill_id, description: m.description, input_schema: m.input_schema }));
    // A replay recalls nothing of today: the original's context, or none if it had none.
    const context = run.context ?? (run.replay_of ? [] : await this.recallContext(run));
    let taint: Taint | null = run.taint;
    if (!taint) {
      // An untrusted memory in the context taints the run before its first model call reads it.
      taint = contextTaint(context);
      if (taint) await this.tainted(run, taint);
    }
    const memoryIds = context.map((m) => m.id);
    const system = systemPrompt(settings.instructions);
    const messages: ModelMessage[] = [goalMessage(run.goal, context)];

    const [modelCalls, toolCalls, replay] = await Promise.all([
      this.provenance.modelCalls(run.id),
      this.provenance.toolCalls(run.id),
      this.replays.load(run),
    ]);
    const toolCallsByStep = new Map(toolCalls.map((t) => [t.stepIndex, t]));
    // Served answers cost nothing, but count against the budget as they did in the original.
    let usedTokens = run.input_tokens + run.output_tokens + servedTokens(modelCalls, replay);
    let step = 0;

    const budget = this.config.llm.runMaxTokens;
    for (let index = 0; ; index++) {
      if (signal.aborted) return;
      const recorded = modelCalls[index];
      const lastAllowed = index === settings.max_steps - 1;
      let content: AssistantBlock[];
      let stopReason: string | null;
      if (recorded?.status === ModelCallStatus.Succeeded) {
        content = (recorded.content ?? []) as AssistantBlock[];
        stopReason = recorded.stopReason;
      } else {
        if (index >= settings.max_steps) {
          await finish(
            RunStatus.Partial,
            `stopped after max_steps (${settings.max_steps} model calls) before the model finished`,
          );
          return;
        }
        if (usedTokens >= budget) {
          await finish(
            RunStatus.Partial,
            `stopped at the token budget (${usedTokens} of ${budget} tokens used) before the model finished`,
          );
          return;
        }
        const answered =
          replay?.mode === ReplayMode.Recorded
            ? await this.serveModelCall(run, owner, replay, { index, step, memoryIds })
            : await this.callModel(run, owner, signal, {
                index,
                step,
                system,
                messages,
                tools,
                memoryIds,
                models: settings.models ?? {},
                // The last call the run may make: the model must answer, its tool calls could not be read.
                toolChoice: lastAllowed ? 'none' : 'auto',
              });
        if (!answered) return;
        content = answered.content;
        stopReason = answered.stopReason;
        usedTokens += answered.tokens;
      }
      messages.push({ role: 'assistant', content });

      const uses = content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
      if (uses.length === 0) {
        await this.complete(run, owner, step, content, {
          stopReason,
          bound: lastAllowed ? `max_steps (${settings.max_steps} model calls)` : undefined,
          // A replay served from a record (recorded, model_live) is an experiment: it leaves the
          // agent's memory as it was. A live replay remembers like any run.
          remember: !replay,
          tainted: taint !== null,
        });
        return;
      }
      // Tools asked for when no model call may follow would run without the model ever reading
      // their results: they are not run.
      const noMoreCalls = index + 1 >= settings.max_steps || usedTokens >= budget;
      if (noMoreCalls) {
        const reason =
          index + 1 >= settings.max_steps
            ? `max_steps (${settings.max_steps} model calls)`
            : `the token budget (${usedTokens} of ${budget} tokens used)`;
        await finish(
          RunStatus.Partial,
          `stopped at ${reason} before the model finished; its last tool calls were not run`,
        );
        return;
      }
      const results: ToolResultBlock[] = [];
      // Calls that wait for a person: the others of the turn still run; then the run waits.
      const awaiting: string[] = [];
      for (const [k, use] of uses.entries()) {
        const stepOfCall = step + 1 + k;
        const previous = toolCallsByStep.get(stepOfCall);
        if (previous && (previous.skillId !== use.name || (previous.toolUseId ?? use.id) !== use.id)) {
          // The record does not belong to this conversation: replaying it would answer the wrong call.
          await finish(
            RunStatus.Failed,
            `the run's record diverged at step ${stepOfCall}: it holds ${previous.skillId} (${previous.toolUseId ?? 'no id'}), the model asked for ${use.name} (${use.id})`,
          );
          return;
        }
        let result: ToolStepResult;
        if (replay) {
          const original = replay.toolCalls.get(stepOfCall);
          const divergence = toolCallDivergence(stepOfCall, original, { skill: use.name, input: use.input });
          if (divergence) {
            await this.queue.diverge(owner, run.id, divergence, replay.mode);
            return;
          }
          result = previous
            ? this.tools.recorded(previous)
            : await this.tools.serve(
                {
                  run,
                  step: stepOfCall,
                  skillId: use.name,
                  input: use.input,
                  origin: { modelCallIndex: index, toolUseId: use.id },
                  policy,
                  taint,
                  taintGates: true,
                },
                original!,
              );
        } else {
          result = await this.toolCall(run, stepOfCall, index, use, previous, signal, policy, taint);
        }
        if (signal.aborted) return;
        taint ??= result.taint ?? null;
        if (result.awaitingApproval) {
          awaiting.push(`${use.name} (step ${stepOfCall})`);
          continue;
        }
        results.push({
          type: 'tool_result',
          tool_use_id: use.id,
          content: toolResultText(result, {
            skill: use.name,
            ...this.tools.provenanceOf({ skillId: use.name, input: use.input }, result),
          }),
          is_error: !result.ok,
        });
      }
      if (awaiting.length > 0) {
        await this.queue.awaitApproval(owner, run.id, `waiting for approval of ${awaiting.join(', ')}`, (m) =>
          this.agents.holdForRunWrite(m, run.agent_id),
        );
        return;
      }
      messages.push({ role: 'user', content: results });
      step += 1 + uses.length;
    }
  }

  /**
   * A recorded replay's model call: the original's answer at the same index, recorded with a
   * pointer to it and its event, without a request or usage. Where the record has no answer, the
   * replay has left it: it stops with a divergence.
   */
  private async serveModelCall(
    run: ClaimedRun,
    owner: string,
    replay: ReplaySource,
    call: { index: number; step: number; memoryIds: string[] },
  ): Promise<{ content: AssistantBlock[]; stopReason: string | null; tokens: number } | undefined> {
    const original = replay.modelCalls[call.index];
    if (!original || original.status === ModelCallStatus.Running) {
      await this.queue.diverge(
        owner,
        run.id,
        modelCallDivergence(call.step, call.index, replay.originalStatus),
        replay.mode,
      );
      return undefined;
    }
    if (original.status !== ModelCallStatus.Succeeded) {
      // The same call as recorded, which did not answer: the replay ends as the original did.
      await this.queue.finish(owner, run.id, {
        status: endedAs(replay.originalStatus),
        errorMessage: `as recorded: model call #${call.index} ${original.status}: ${original.error ?? 'no answer'}`,
      });
      return undefined;
    }
    await this.dataSource.transaction(async (m) => {
      await this.agents.holdForRunWrite(m, run.agent_id);
      await this.provenance.serveModelCall(m, {
        runId: run.id,
        callIndex: call.index,
        step: call.step,
        memoryIds: call.memoryIds,
        original,
      });
      await this.events.append(m, [
        modelCallCompleted(run, call, {
          provider: original.provider,
          model: original.model,
          inputTokens: 0,
          outputTokens: 0,
          stopReason: original.stopReason,
          durationMs: 0,
          content: original.content ?? [],
          replayedFrom: original.id,
        }),
      ]);
    });
    return {
      content: (original.content ?? []) as AssistantBlock[],
      stopReason: original.stopReason,
      tokens: (original.inputTokens ?? 0) + (original.outputTokens ?? 0),
    };
  }

  private async tainted(run: ClaimedRun, taint: Taint): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.agents.holdForRunWrite(m, run.agent_id);
      await this.tools.recordTaint(m, run, taint);
    });
  }

  /** The memories recalled for the goal, stored with the run the first time, so a replay sees the same. */
  private async recallContext(run: ClaimedRun): Promise<RecalledMemory[]> {
    const found = await this.memory.search(run.agent_id, run.goal, { limit: CONTEXT_MEMORIES });
    // A goal full of words no memory has: websearch syntax ANDs them, so fall back to any word.
    const memories =
      found.length > 0
        ? found
        : await this.memory.search(run.agent_id, anyWordQuery(run.goal), { limit: CONTEXT_MEMORIES });
    const context = memories.map((m) => ({
      id: m.id,
      memory_type: m.memory_type,
      text: m.text,
      created_at: m.created_at,
      trusted: m.trusted,
    }));
    await this.runs.saveContext(this.dataSource.manager, run.id, context);
    return context;
  }

  /**
   * One model call: written ahead, requested (providers in order, each with its SDK's retries),
   * and its answer recorded with the run's and agent's usage in one transaction. Returns nothing
   * when the run does not go on here: cancelled, failed, or back in the queue waiting for a model.
   */
  private async callModel(
    run: ClaimedRun,
    owner: string,
    signal: AbortSignal,
    call: {
      index: number;
      step: number;
      system: string;
      messages: ModelMessage[];
      tools: ModelTool[];
      memoryIds: string[];
      models: ModelChoice;
      toolChoice: 'auto' | 'none';
    },
  ): Promise<{ content: AssistantBlock[]; stopReason: string | null; tokens: number } | undefined> {
    await this.provenance.startModelCall(run.id, call.index, call.step, call.memoryIds);
    const started = performance.now();
    try {
      const response = await this.models.complete(
        {
          system: call.system,
          messages: call.messages,
          tools: call.tools,
          maxOutputTokens: this.config.llm.maxOutputTokens,
          toolChoice: call.toolChoice,
        },
        call.models,
        signal,
      );
      await this.dataSource.transaction(async (m) => {
        // Agent, run, then its records: the order every other writer of these rows takes.
        await this.agents.addUsage(m, run.agent_id, response);
        await this.runs.addUsage(m, run.id, response);
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
        await this.provenance.completeModelCall(m, run.id, call.index, answer);
        await this.events.append(m, [modelCallCompleted(run, call, answer)]);
      });
      return {
        content: response.content,
        stopReason: response.stopReason,
        tokens: response.inputTokens + response.outputTokens,
      };
    } catch (error) {
      const durationMs = performance.now() - started;
      const fail = (message: string, cancelled = false) =>
        this.provenance.failModelCall(run.id, call.index, { error: message, durationMs, cancelled });
      if (signal.aborted) {
        await fail('cancelled', true);
        return undefined;
      }
      if (error instanceof ModelsUnavailableError) {
        await fail(error.message);
        await this.waitForModel(run, owner, error);
        return undefined;
      }
      if (error instanceof ModelContextExceededError) {
        await fail(error.message);
        await this.queue.finish(owner, run.id, {
          status: RunStatus.Partial,
          errorMessage: `stopped: ${error.message}`,
        });
        return undefined;
      }
      if (error instanceof ModelRejectedError || error instanceof NoModelProviderError) {
        await fail(error.message);
        await this.queue.finish(owner, run.id, { status: RunStatus.Failed, errorMessage: error.message });
        return undefined;
      }
      throw error;
    }
  }

  /** Every provider failed in a way that may pass: back to the queue with backoff, or failed when waited too long. */
  private async waitForModel(run: ClaimedRun, owner: string, error: ModelsUnavailableError): Promise<void> {
    const { maxWaitMs, retryBaseMs, retryMaxMs } = this.config.llm;
    const decision = modelWait(run.model_wait_since, run.model_waits, new Date(), {
      maxWaitMs,
      baseMs: retryBaseMs,
      maxMs: retryMaxMs,
    });
    if (decision.giveUp) {
      await this.queue.finish(owner, run.id, {
        status: RunStatus.Failed,
        errorMessage: `no model answered within ${Math.round(decision.waitedMs / 1000)} s (AOS_LLM_MAX_WAIT_MS): ${error.message}`,
      });
      return;
    }
    this.logger.warn(
      { run_id: run.id, retry_at: decision.retryAt.toISOString(), error: error.message },
      'waiting for a model',
    );
    await this.queue.waitForModel(owner, run.id, {
      retryAt: decision.retryAt,
      errorMessage: `waiting for a model (next try at ${decision.retryAt.toISOString()}): ${error.message}`,
    });
  }

  /** One tool_use block: its recorded result replayed, or the call made (or refused) now. */
  private async toolCall(
    run: ClaimedRun,
    step: number,
    modelCallIndex: number,
    use: ToolUseBlock,
    previous: ToolCallEntity | undefined,
    signal: AbortSignal,
    policy: RunPolicy,
    taint: Taint | null,
  ): Promise<ToolStepResult> {
    const call = {
      run,
      step,
      skillId: use.name,
      input: use.input,
      origin: { modelCallIndex, toolUseId: use.id },
      policy,
      taint,
      // The model chose this call: once outside content is in its context, the taint gates it.
      taintGates: true,
    };
    switch (loopStepResumption(previous?.status, this.tools.isIdempotent(use.name, use.input))) {
      case 'reuse':
        return this.tools.recorded(previous!);
      case 'refuse':
        return this.tools.refuse(
          call,
          `the call to ${use.name} was interrupted and may or may not have taken effect; it was not repeated because it is not idempotent`,
          previous,
        );
      case 'declined':
        return { ok: false, error: previous!.error ?? declinedText(previous!) };
      case 'await':
        return { ok: false, awaitingApproval: true };
      case 'execute':
        return this.tools.execute(call, signal, previous);
    }
  }

  /**
   * The model answered without a tool call: its text is the run's result, kept as a run_result
   * memory. A refusal fails the run (its text says why); an answer cut short by the output limit,
   * or forced on the last call max_steps allows, is kept but the run is only partial.
   */
  private async complete(
    run: ClaimedRun,
    owner: string,
    step: number,
    content: AssistantBlock[],
    end: { stopReason: string | null; bound?: string; remember: boolean; tainted: boolean },
  ): Promise<void> {
    const text = content
      .flatMap((b) => (b.type === 'text' ? [b.text] : []))
      .join('\n')
      .trim();
    const outcome = answerOutcome(text, end.stopReason, end.bound, this.config.llm.maxOutputTokens);
    await this.queue.finish(
      owner,
      run.id,
      { ...outcome, result: text },
      {
        // The agent's row before the run's: a concurrent delete of the agent locks in that order.
        before: (m) => this.agents.holdForRunWrite(m, run.agent_id),
        after: async (m) => {
          if (!text || outcome.status === RunStatus.Failed || !end.remember) return;
          await this.memory.recordForStep(
            m,
            { agentId: run.agent_id, runId: run.id, stepIndex: step },
            // The answer of a tainted run may carry what outside content made of it: untrusted.
            { memory_type: MemoryType.RunResult, text, meta: { goal: run.goal.slice(0, 500) }, trusted: !end.tainted },
          );
        },
      },
    );
  }
}

/** How a run ends on an answer without tool calls, from the provider's stop reason. */
export function answerOutcome(
  text: string,
  stopReason: string | null,
  bound: string | undefined,
  maxOutputTokens: number,
): { status: RunStatus; errorMessage: string | null } {
  if (stopReason === 'refusal' || stopReason === 'content_filter') {
    return { status: RunStatus.Failed, errorMessage: `the model refused: ${text || stopReason}`.slice(0, 2_000) };
  }
  if (isCutShort(stopReason)) {
    return {
      status: RunStatus.Partial,
      errorMessage: `the model's answer was cut short at AOS_LLM_MAX_OUTPUT_TOKENS (${maxOutputTokens})`,
    };
  }
  if (bound) {
    return { status: RunStatus.Partial, errorMessage: `reached ${bound}: the last call had to answer without tools` };
  }
  return { status: RunStatus.Completed, errorMessage: null };
}

/** Stop reasons (as each provider says them) of an answer cut off by the output token limit. */
function isCutShort(stopReason: string | null): boolean {
  return stopReason === 'max_tokens' || stopReason === 'length' || stopReason === 'model_context_window_exceeded';
}

/** How a replay ends where its original's record ends without an answer: as the original ended. */
function endedAs(status: string): RunStatus {
  const ended = [RunStatus.Partial, RunStatus.Cancelled].find((s) => s === (status as RunStatus));
  return ended ?? RunStatus.Failed;
}

/** The run.model_call.completed event of an answer (made, or served from a replayed record). */
function modelCallCompleted(
  run: ClaimedRun,
  call: { index: number; step: number },
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
    agentId: run.agent_id,
    runId: run.id,
    type: 'run.model_call.completed',
    data: {
      index: call.index,
      step: call.step,
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

/** Tokens of the model calls a replay was served from its record (they count against its budget). */
function servedTokens(calls: ModelCallEntity[], replay: ReplaySource | undefined): number {
  if (!replay) return 0;
  const originals = new Map(replay.modelCalls.map((c) => [c.id, c]));
  return calls.reduce((sum, c) => {
    const original = c.replayedFrom ? originals.get(c.replayedFrom) : undefined;
    return sum + (original ? (original.inputTokens ?? 0) + (original.outputTokens ?? 0) : 0);
  }, 0);
}

/** The taint an untrusted memory recalled into the context brings (at step 0, where the model first reads it). */
function contextTaint(context: RecalledMemory[]): Taint | null {
  const untrusted = context.find((m) => !recalledTrusted(m));
  return untrusted
    ? { step: 0, skill: RECALLED_MEMORY, at: new Date().toISOString(), source: `memory ${untrusted.id}` }
    : null;
}

/** The goal's words joined with `or`, for websearch_to_tsquery: any of them may match. */
function anyWordQuery(goal: string): string {
  const words = goal.match(/[\p{L}\p{N}]{3,}/gu) ?? [];
  return [...new Set(words.map((w) => w.toLowerCase()))].slice(0, 30).join(' or ');
}
