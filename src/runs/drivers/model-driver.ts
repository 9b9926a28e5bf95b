import { Inject, Injectable, Logger } from '@nestjs/common';
import { AgentPlanner } from '../../agents/agent-planner.enum';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { MemoryService } from '../../memory/memory.service';
import { MemoryType } from '../../skills/memory-type.enum';
import type { ModelsUnavailableError } from '../../models/model-errors';
import type { AssistantBlock, ModelMessage, ModelTool, ToolResultBlock, ToolUseBlock } from '../../models/model.types';
import type { ModelCallEntity } from '../../run-record/model-call.entity';
import { RunRecordService } from '../../run-record/run-record.service';
import { RunStatus } from '../../run-record/run-status.enum';
import { RunWriter } from '../../run-record/run-writer';
import { RecalledMemory, recalledTrusted } from '../../run-record/run-settings';
import { RunsRepository } from '../../run-record/runs.repository';
import { RECALLED_MEMORY, Taint } from '../../run-record/taint';
import type { ToolCallEntity } from '../../run-record/tool-call.entity';
import { SkillRegistry } from '../../skills/skill-registry';
import { ApprovalsService } from '../approvals/approvals.service';
import { declinedText } from '../approvals/declined-text';
import { RunQueue } from '../queue/run-queue';
import type { ReplaySource } from '../sources/replay-records';
import { RunSources, Sources } from '../sources/run-sources';
import type { ToolStepResult } from '../tools/tool-steps';
import { ToolSteps } from '../tools/tool-steps';
import { CONTEXT_MEMORIES, goalMessage, systemPrompt, toolResultText } from './model-context';
import { nextAction } from './next-action';
import { answerOutcome, modelWait } from './outcomes';
import type { ActiveRun, RunDriver } from './run-driver';

/** Where the loop stands between model calls. */
interface Loop {
  run: ActiveRun;
  sources: Sources;
  system: string;
  messages: ModelMessage[];
  tools: ModelTool[];
  memoryIds: string[];
  modelCalls: ModelCallEntity[];
  toolCalls: Map<number, ToolCallEntity>;
  usedTokens: number;
  /** The step after the last tool call of the previous turn. */
  step: number;
}

/**
 * The model-driven run: context (instructions, goal, recalled memories), then model calls and the
 * tool calls they ask for until the model answers without one. Every model call is written ahead
 * and its answer recorded; a reclaimed run rebuilds the conversation from that record, so a
 * completed model call is never requested again and a finished tool call never repeated. Bounded
 * by the agent's max_steps, the run's token budget and the SDKs' timeouts; when no provider
 * answers, the run waits in the queue with backoff instead of failing. What happens next at each
 * point is `nextAction`'s decision; where answers and results come from is the run's sources'.
 */
@Injectable()
export class ModelDriver implements RunDriver {
  readonly planner = AgentPlanner.Llm;
  private readonly logger = new Logger(ModelDriver.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly skills: SkillRegistry,
    private readonly memory: MemoryService,
    private readonly record: RunRecordService,
    private readonly runs: RunsRepository,
    private readonly writer: RunWriter,
    private readonly queue: RunQueue,
    private readonly tools: ToolSteps,
    private readonly approvals: ApprovalsService,
    private readonly sources: RunSources,
  ) {}

  async drive(run: ActiveRun): Promise<void> {
    const sources = await this.sources.for(run);
    const unavailable = sources.models.unavailable();
    if (unavailable) {
      await this.queue.finish(run.lease, { status: RunStatus.Failed, errorMessage: unavailable });
      return;
    }
    const loop = await this.start(run, sources);
    for (let index = 0; ; index++) {
      if (run.signal.aborted) return;
      const answer = await this.modelTurn(loop, index);
      if (!answer) return;
      loop.messages.push({ role: 'assistant', content: answer.content });
      const uses = answer.content.filter((b): b is ToolUseBlock => b.type === 'tool_use');
      const after = nextAction({ at: 'answer', ...this.bounds(loop, index), toolCalls: uses.length });
      if (after.do === 'stop') return this.end(run, after.status, after.reason);
      if (after.do === 'complete') {
        // A replay served from a record (recorded, model_live) is an experiment: it leaves the
        // agent's memory as it was. A live replay remembers like any run.
        return this.complete(loop, answer, { bound: after.bound, remember: !sources.replay });
      }
      const results = await this.toolTurn(loop, index, uses);
      if (!results) return;
      loop.messages.push({ role: 'user', content: results });
      loop.step += 1 + uses.length;
    }
  }

  /** The conversation so far, from the record: context, tools offered, calls made in earlier attempts. */
  private async start(run: ActiveRun, sources: Sources): Promise<Loop> {
    // The tools offered: what the stricter of the frozen and the current policy allows now (each
    // call is checked again when it is made).
    const offered = this.tools.policyFor(run).skills;
    const tools: ModelTool[] = this.skills
      .manifests()
      .filter((m) => offered === null || offered.includes(m.skill_id))
      .map((m) => ({ name: m.skill_id, description: m.description, input_schema: m.input_schema }));
    // A replay recalls nothing of today: the original's context, or none if it had none.
    const context = run.claimed.context ?? (run.claimed.replay_of ? [] : await this.recallContext(run));
    if (!run.taint) {
      // An untrusted memory in the context taints the run before its first model call reads it.
      const taint = contextTaint(context);
      if (taint) await this.writer.step(run.lease, (w) => this.tools.recordTaint(w, run, taint));
    }
    const journal = run.claimed.has_record ? await this.record.journal(run.id) : { modelCalls: [], toolCalls: [] };
    return {
      run,
      sources,
      system: systemPrompt(run.settings.instructions),
      messages: [goalMessage(run.goal, context)],
      tools,
      memoryIds: context.map((m) => m.id),
      modelCalls: journal.modelCalls,
      toolCalls: new Map(journal.toolCalls.map((t) => [t.stepIndex, t])),
      // Served answers cost nothing, but count against the budget as they did in the original.
      usedTokens:
        run.claimed.input_tokens + run.claimed.output_tokens + servedTokens(journal.modelCalls, sources.replay),
      step: 0,
    };
  }

  private bounds(loop: Loop, index: number) {
    return {
      index,
      maxSteps: loop.run.settings.max_steps,
      usedTokens: loop.usedTokens,
      budget: this.config.llm.runMaxTokens,
    };
  }

  /** Model call #index: read from the record, or asked of the run's model source. Undefined: the run left the loop. */
  private async modelTurn(
    loop: Loop,
    index: number,
  ): Promise<{ content: AssistantBlock[]; stopReason: string | null } | undefined> {
    const { run } = loop;
    const recorded = loop.modelCalls[index];
    const action = nextAction({ at: 'model_call', ...this.bounds(loop, index), recorded: recorded?.status });
    if (action.do === 'reuse_answer') {
      return { content: (recorded.content ?? []) as AssistantBlock[], stopReason: recorded.stopReason };
    }
    if (action.do === 'stop') {
      await this.end(run, action.status, action.reason);
      return undefined;
    }
    const answer = await loop.sources.models.answer(run, {
      index,
      step: loop.step,
      system: loop.system,
      messages: loop.messages,
      tools: loop.tools,
      memoryIds: loop.memoryIds,
      models: run.settings.models ?? {},
      toolChoice: action.toolChoice,
    });
    if ('answered' in answer) {
      loop.usedTokens += answer.answered.tokens;
      return answer.answered;
    }
    if ('ended' in answer) await this.queue.finish(run.lease, answer.ended);
    else if ('diverged' in answer) await this.queue.diverge(run.lease, answer.diverged, loop.sources.replay!.mode);
    else if ('waitForModel' in answer) await this.waitForModel(run, answer.waitForModel);
    else if ('waitForTokens' in answer) {
      this.logger.log({ run_id: run.id, until: answer.waitForTokens.until.toISOString() }, 'waiting for model tokens');
      await this.queue.waitForTokens(run.lease, {
        until: answer.waitForTokens.until,
        errorMessage: answer.waitForTokens.reason,
        limit: answer.waitForTokens.limit,
      });
    }
    return undefined;
  }

  /** The tool calls of one answer, in order; undefined when the run left the loop (waits, failed, diverged). */
  private async toolTurn(loop: Loop, index: number, uses: ToolUseBlock[]): Promise<ToolResultBlock[] | undefined> {
    const { run } = loop;
    const results: ToolResultBlock[] = [];
    // Calls that wait for a person: the others of the turn still run; then the run waits.
    const awaiting: string[] = [];
    for (const [k, use] of uses.entries()) {
      const step = loop.step + 1 + k;
      const previous = loop.toolCalls.get(step);
      const replayed = loop.sources.tools.replayed(step);
      const action = nextAction({
        at: 'tool_call',
        driver: 'model',
        step,
        asked: { skill: use.name, input: this.tools.normalised(use.name, use.input), toolUseId: use.id },
        idempotent: this.tools.isIdempotent(use.name, use.input),
        previous: previous && { status: previous.status, skill: previous.skillId, toolUseId: previous.toolUseId },
        replayed: replayed && {
          ...replayed,
          original: replayed.original && {
            skill: replayed.original.skill,
            input: this.tools.normalised(replayed.original.skill, replayed.original.input),
          },
          followsOriginalPlan: false,
        },
      });
      const call = {
        step,
        skillId: use.name,
        input: use.input,
        origin: { modelCallIndex: index, toolUseId: use.id },
        // The model chose this call: once outside content is in its context, the taint gates it.
        taintGates: true,
      };
      let result: ToolStepResult;
      switch (action.do) {
        case 'fail':
          await this.end(run, RunStatus.Failed, action.reason);
          return undefined;
        case 'diverged':
          await this.queue.diverge(run.lease, action.divergence, loop.sources.replay!.mode);
          return undefined;
        case 'reuse_result':
          result = this.tools.recorded(previous!);
          break;
        case 'refuse':
          result = await this.tools.refuse(run, call, action.reason);
          break;
        case 'declined':
          result = { ok: false, error: previous!.error ?? declinedText(previous!) };
          break;
        case 'await':
          result = { ok: false, awaitingApproval: true };
          break;
        case 'make_call':
          result = await loop.sources.tools.make(run, call, previous);
          break;
        case 'end_as_original':
          throw new Error('a conversation has no original plan to end with');
      }
      if (run.signal.aborted) return undefined;
      if (result.awaitingApproval) {
        awaiting.push(`${use.name} (step ${step})`);
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
    const end = nextAction({ at: 'turn_end', awaiting });
    if (end.do === 'wait_for_approval') {
      await this.approvals.wait(run.lease, end.reason);
      return undefined;
    }
    return results;
  }

  private async end(run: ActiveRun, status: RunStatus, errorMessage: string | null): Promise<void> {
    await this.queue.finish(run.lease, { status, errorMessage });
  }

  /** The memories recalled for the goal, stored with the run the first time, so a replay sees the same. */
  private async recallContext(run: ActiveRun): Promise<RecalledMemory[]> {
    const found = await this.memory.search(run.agentId, run.goal, { limit: CONTEXT_MEMORIES });
    // A goal full of words no memory has: websearch syntax ANDs them, so fall back to any word.
    const memories =
      found.length > 0
        ? found
        : await this.memory.search(run.agentId, anyWordQuery(run.goal), { limit: CONTEXT_MEMORIES });
    const context = memories.map((m) => ({
      id: m.id,
      memory_type: m.memory_type,
      text: m.text,
      created_at: m.created_at,
      trusted: m.trusted,
    }));
    await this.writer.step(run.lease, (w) => this.runs.saveContext(w.m, run.id, context));
    return context;
  }

  /** Every provider failed in a way that may pass: back to the queue with backoff, or failed when waited too long. */
  private async waitForModel(run: ActiveRun, error: ModelsUnavailableError): Promise<void> {
    const { maxWaitMs, retryBaseMs, retryMaxMs } = this.config.llm;
    const decision = modelWait(run.claimed.model_wait_since, run.claimed.model_waits, new Date(), {
      maxWaitMs,
      baseMs: retryBaseMs,
      maxMs: retryMaxMs,
    });
    if (decision.giveUp) {
      await this.end(
        run,
        RunStatus.Failed,
        `no model answered within ${Math.round(decision.waitedMs / 1000)} s (AOS_LLM_MAX_WAIT_MS): ${error.message}`,
      );
      return;
    }
    this.logger.warn(
      { run_id: run.id, retry_at: decision.retryAt.toISOString(), error: error.message },
      'waiting for a model',
    );
    await this.queue.waitForModel(run.lease, {
      retryAt: decision.retryAt,
      errorMessage: `waiting for a model (next try at ${decision.retryAt.toISOString()}): ${error.message}`,
    });
  }

  /**
   * The model answered without a tool call: its text is the run's result, kept as a run_result
   * memory. A refusal fails the run (its text says why); an answer cut short by the output limit,
   * or forced on the last call max_steps allows, is kept but the run is only partial.
   */
  private async complete(
    loop: Loop,
    answer: { content: AssistantBlock[]; stopReason: string | null },
    end: { bound?: string; remember: boolean },
  ): Promise<void> {
    const { run } = loop;
    const text = answer.content
      .flatMap((b) => (b.type === 'text' ? [b.text] : []))
      .join('\n')
      .trim();
    const outcome = answerOutcome(text, answer.stopReason, end.bound, this.config.llm.maxOutputTokens);
    await this.queue.finish(run.lease, { ...outcome, result: text }, async (w) => {
      if (!text || outcome.status === RunStatus.Failed || !end.remember) return;
      await this.memory.recordForStep(
        w,
        { agentId: run.agentId, runId: run.id, stepIndex: loop.step },
        // The answer of a tainted run may carry what outside content made of it: untrusted.
        { memory_type: MemoryType.RunResult, text, meta: { goal: run.goal.slice(0, 500) }, trusted: !run.taint },
      );
    });
  }
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
