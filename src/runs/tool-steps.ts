import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { ConnectionsService, ConnectionUnavailableError } from '../connections/connections.service';
import { connectionSecretForms, redactText, redactValue } from '../connections/redact';
import { EventsService, NewEvent } from '../events/events.service';
import { MemoryService } from '../memory/memory.service';
import { ProvenanceService } from '../provenance/provenance.service';
import { ToolCallStatus } from '../provenance/tool-call-status.enum';
import type { ToolCallEntity } from '../provenance/tool-call.entity';
import { ConnectionAccess, MemoryAccess, SkillError } from '../skills/skill';
import { SkillRegistry } from '../skills/skill-registry';
import { approvalGate, policyOf, policyRefusal, RunPolicy, stricterPolicy, Taint } from './run-policy';
import { RunMetrics } from './run-metrics';
import { RunsRepository } from './runs.repository';
import { RecordedToolCall, servedResult, servedStatus } from './replay';

export interface ToolStepResult {
  ok: boolean;
  output?: unknown;
  /** The failure, as recorded on the tool call. */
  error?: string;
  /** The failure may pass (network, 5xx, 429) and repeating the call is harmless. */
  retryable?: boolean;
  /** Not run: it waits for a person (recorded awaiting_approval); the run must wait too. */
  awaitingApproval?: boolean;
  /** The result is content from outside AOS (the model is told it is untrusted). */
  untrusted?: boolean;
  /** This call's result tainted the run (set with `untrusted` when the call was made or served now). */
  taint?: Taint;
}

export interface ToolStep {
  run: { id: string; agent_id: string };
  /** Position in the run: the plan step, or the step after the model call that asked for it. */
  step: number;
  skillId: string;
  input: Record<string, unknown>;
  /** For a model-driven run: the model call that asked for the tool, and the provider's id of the call. */
  origin?: { modelCallIndex: number; toolUseId: string };
  /** The run's frozen policy (from its settings); the agent's current one is read at the call. */
  policy: RunPolicy;
  /** The run's taint before this call (null: clean). */
  taint: Taint | null;
  /**
   * Whether the taint gates this call: true where outside content can have chosen it (a model's
   * call). A plan is fixed from the goal before any step runs, so its steps are not gated.
   */
  taintGates: boolean;
}

/**
 * Runs tool calls through the skill registry, for planned steps and the agent loop alike: the input
 * is validated against the manifest, the policy applied (the stricter of the run's frozen one and
 * the agent's current one: skills, egress, approval, with the taint rule), the call written ahead
 * (running) before the skill starts, its output validated after, and the result recorded together
 * with the memory the skill leaves and the run's taint, in one transaction.
 */
@Injectable()
export class ToolSteps {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly skills: SkillRegistry,
    private readonly connections: ConnectionsService,
    private readonly provenance: ProvenanceService,
    private readonly memory: MemoryService,
    private readonly agents: AgentsService,
    private readonly events: EventsService,
    private readonly runs: RunsRepository,
    private readonly metrics: RunMetrics,
  ) {}

  isIdempotent(skillId: string, input: Record<string, unknown>): boolean {
    if (!this.skills.has(skillId)) return true;
    const skill = this.skills.get(skillId);
    return skill.isIdempotent?.(input) ?? skill.manifest.side_effects !== 'non_idempotent';
  }

  /** Where a call's result comes from and whether it may be trusted, as the model is told. */
  provenanceOf(
    call: Pick<ToolStep, 'skillId' | 'input'>,
    result: ToolStepResult,
  ): { source: string; trusted: boolean } {
    return { source: this.skills.sourceOf(call.skillId, call.input), trusted: !result.untrusted };
  }

  /** A call finished in an earlier attempt, as the loop hands it to the model again (its taint is the run's already). */
  recorded(call: ToolCallEntity): ToolStepResult {
    return call.status === ToolCallStatus.Succeeded
      ? { ok: true, output: call.output, untrusted: this.skills.outputIsOutside(call.skillId, call.output) }
      : { ok: false, error: call.error ?? 'failed', untrusted: this.skills.readsOutside(call.skillId) };
  }

  /**
   * The policy a call is held to now: the stricter of the run's frozen one and the agent's current
   * one (a policy tightened while the run works holds at its next call).
   */
  async effectivePolicy(call: Pick<ToolStep, 'run' | 'policy'>): Promise<RunPolicy> {
    const current = await this.agents.policyOf(call.run.agent_id);
    return current ? stricterPolicy(call.policy, policyOf(current)) : call.policy;
  }

  /**
   * Runs the call, unless the policy refuses it (recorded failed, with the reason the model reads)
   * or it must first wait for a person: then it is recorded awaiting approval, with why, and
   * nothing runs (`previous`: its record from an earlier attempt; an answered approval is not
   * asked for again).
   */
  async execute(call: ToolStep, signal: AbortSignal, previous?: ToolCallEntity): Promise<ToolStepResult> {
    const { run, step, skillId } = call;
    if (!this.skills.has(skillId))
      return this.refuse(call, `skill ${skillId} is not available to this agent`, previous);
    const input = structuredClone(call.input);
    const inputProblems = this.skills.inputProblems(skillId, input);
    if (inputProblems) {
      await this.start(call, input);
      return this.fail(call, `invalid input for ${skillId}: ${inputProblems}`, 0);
    }
    const policy = await this.effectivePolicy(call);
    const effects = this.skills.effectsOf(skillId, input);
    const refusal = policyRefusal(policy, skillId, effects);
    if (refusal) return this.refuse(call, refusal, previous);
    if (!previous?.approvalAnsweredAt) {
      const reason = approvalGate(policy, effects, call.taintGates ? call.taint : null);
      if (reason) return this.requestApproval(call, input, reason);
    }
    await this.start(call, input);
    const started = Date.now();
    // Secrets the skill opens are remembered for this call: nothing it returns or throws may hold one.
    const opened: string[] = [];
    try {
      const raw = await this.skills.get(skillId).execute(input, {
        signal,
        egress: policy.egress,
        agentId: run.agent_id,
        runId: run.id,
        stepIndex: step,
        memory: this.memoryOf(run.agent_id),
        connections: this.connectionsOf(run.agent_id, opened),
      });
      const result = opened.length > 0 ? redactValue(raw, opened) : raw;
      const outputProblems = this.skills.outputProblems(skillId, result.output);
      if (outputProblems) throw new SkillError(`${skillId} returned an invalid output: ${outputProblems}`);
      const durationMs = Date.now() - started;
      const untrusted = this.skills.outputIsOutside(skillId, result.output);
      const taint = untrusted ? this.taintOf(call, input) : undefined;
      // What a tool brought back is kept unless the agent chose not to; an asked-for write always is.
      const memory = result.memory && (result.memory.written || policy.rememberToolResults) ? result.memory : undefined;
      await this.dataSource.transaction(async (m) => {
        // The agent's row first, as a delete of the agent takes it: the same lock order, no deadlock.
        await this.agents.holdForRunWrite(m, run.agent_id);
        await this.provenance.completeToolCall(
          run.id,
          step,
          { status: ToolCallStatus.Succeeded, output: result.output, durationMs },
          m,
        );
        await this.events.append(m, [this.completedEvent(call, ToolCallStatus.Succeeded, durationMs, null)]);
        if (taint) await this.recordTaint(m, call.run, taint);
        if (memory) {
          const { written: _written, ...stored } = memory;
          await this.memory.recordForStep(
            m,
            { agentId: run.agent_id, runId: run.id, stepIndex: step },
            // Written by a tainted run (this step's own taint included), a memory is untrusted.
            { ...stored, trusted: !(call.taint ?? taint) },
          );
        }
      });
      return { ok: true, output: result.output, untrusted, taint };
    } catch (error) {
      const cancelled = signal.aborted;
      const message = redactText(error instanceof Error ? error.message : String(error), opened);
      // A failure of a skill that reads the outside world taints too when its message carries a
      // server's words (an error AOS wrote itself, such as "answered 404", does not).
      const untrusted =
        !cancelled && this.skills.readsOutside(skillId) && !(error instanceof SkillError && !error.outsideText);
      const taint = untrusted ? this.taintOf(call, input) : undefined;
      await this.finishFailed(
        call,
        cancelled ? ToolCallStatus.Cancelled : ToolCallStatus.Failed,
        cancelled ? 'cancelled' : message,
        Date.now() - started,
        taint,
      );
      return {
        ok: false,
        error: message,
        untrusted,
        taint,
        // A failed call is tried again with the run only if repeating it is harmless.
        retryable: error instanceof SkillError && error.retryable && this.isIdempotent(skillId, input),
      };
    }
  }

  /**
   * A replay's call answered from the original's record (`original`): nothing runs, nothing waits
   * for a person, no memory is written; the call is recorded finished as the original ended, with
   * its step events marked as replayed. What it serves taints the replay as the original was.
   */
  async serve(call: ToolStep, original: RecordedToolCall): Promise<ToolStepResult> {
    const result = servedResult(original);
    const untrusted = result.ok
      ? this.skills.outputIsOutside(call.skillId, result.output)
      : this.skills.readsOutside(call.skillId);
    const taint = untrusted ? this.taintOf(call, call.input) : undefined;
    await this.dataSource.transaction(async (m) => {
      await this.agents.holdForRunWrite(m, call.run.agent_id);
      await this.provenance.serveToolCall(m, {
        runId: call.run.id,
        stepIndex: call.step,
        skillId: call.skillId,
        input: call.input,
        origin: call.origin,
        status: servedStatus(original.status),
        output: result.ok ? result.output : null,
        error: result.ok ? null : (result.error ?? null),
        replayedFrom: original.id,
      });
      const replayed = { replayed_from: original.id };
      await this.events.append(m, [
        {
          agentId: call.run.agent_id,
          runId: call.run.id,
          type: 'run.step.started',
          data: {
            step: call.step,
            skill: call.skillId,
            model_call_index: call.origin?.modelCallIndex ?? null,
            ...replayed,
          },
        },
        this.completedEvent(
          call,
          servedStatus(original.status),
          0,
          result.ok ? null : (result.error ?? null),
          replayed,
        ),
      ]);
      if (taint) await this.recordTaint(m, call.run, taint);
    });
    return { ...result, untrusted, taint };
  }

  /**
   * A call that will not run, recorded as failed: a skill the agent may not use, an origin off its
   * egress list, or a call that was interrupted (its `previous` record) and is not safe to repeat.
   */
  async refuse(
    call: Pick<ToolStep, 'run' | 'step' | 'skillId' | 'input' | 'origin'>,
    error: string,
    previous?: { startedAt: Date },
  ): Promise<ToolStepResult> {
    if (!previous) await this.start(call, call.input);
    return this.fail(call, error, previous ? Date.now() - previous.startedAt.getTime() : 0);
  }

  /**
   * Marks the run tainted (the first taint is kept), with its run.tainted event, in the caller's
   * transaction: for a call's result, or for untrusted memories recalled into the context.
   */
  async recordTaint(m: EntityManager, run: { id: string; agent_id: string }, taint: Taint): Promise<void> {
    if (!(await this.runs.taint(m, run.id, taint))) return;
    await this.events.append(m, [{ agentId: run.agent_id, runId: run.id, type: 'run.tainted', data: { ...taint } }]);
    this.metrics.tainted();
  }

  private taintOf(call: Pick<ToolStep, 'step' | 'skillId'>, input: unknown): Taint {
    return {
      step: call.step,
      skill: call.skillId,
      at: new Date().toISOString(),
      source: this.skills.sourceOf(call.skillId, input),
    };
  }

  private async fail(
    call: Pick<ToolStep, 'run' | 'step' | 'skillId' | 'origin'>,
    error: string,
    durationMs: number,
  ): Promise<ToolStepResult> {
    await this.finishFailed(call, ToolCallStatus.Failed, error, durationMs);
    return { ok: false, error };
  }

  /** The write-ahead record of the call and its run.step.started event, in one statement. */
  private async start(call: Pick<ToolStep, 'run' | 'step' | 'skillId' | 'origin'>, input: unknown): Promise<void> {
    const event: NewEvent = {
      agentId: call.run.agent_id,
      runId: call.run.id,
      type: 'run.step.started',
      data: { step: call.step, skill: call.skillId, model_call_index: call.origin?.modelCallIndex ?? null },
    };
    await this.provenance.startToolCall(
      { runId: call.run.id, stepIndex: call.step, skillId: call.skillId, input, origin: call.origin },
      (statement) => this.events.appendAlong(statement, [event]),
    );
  }

  private async finishFailed(
    call: Pick<ToolStep, 'run' | 'step' | 'skillId'>,
    status: ToolCallStatus.Failed | ToolCallStatus.Cancelled,
    error: string,
    durationMs: number,
    taint?: Taint,
  ): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      if (taint) await this.agents.holdForRunWrite(m, call.run.agent_id);
      await this.provenance.completeToolCall(call.run.id, call.step, { status, error, durationMs }, m);
      await this.events.append(m, [this.completedEvent(call, status, durationMs, error)]);
      if (taint) await this.recordTaint(m, call.run, taint);
    });
  }

  private completedEvent(
    call: Pick<ToolStep, 'run' | 'step' | 'skillId'>,
    status: ToolCallStatus,
    durationMs: number,
    error: string | null,
    extra: Record<string, unknown> = {},
  ): NewEvent {
    return {
      agentId: call.run.agent_id,
      runId: call.run.id,
      type: 'run.step.completed',
      data: { step: call.step, skill: call.skillId, status, duration_ms: Math.round(durationMs), error, ...extra },
    };
  }

  private memoryOf(agentId: string): MemoryAccess {
    return { recall: (query, options) => this.memory.search(agentId, query, options) };
  }

  /** The agent's connections for one call; every secret handed out is noted in `opened` (all its wire forms). */
  private connectionsOf(agentId: string, opened: string[]): ConnectionAccess {
    return {
      get: async (name, kind) => {
        try {
          const connection = await this.connections.resolveForRun(agentId, name, kind);
          opened.push(...connectionSecretForms(connection));
          return connection;
        } catch (error) {
          if (error instanceof ConnectionUnavailableError) throw new SkillError(error.message);
          throw error;
        }
      },
    };
  }

  /**
   * Records the call as waiting for a person, with why and its run.approval.requested event; the
   * caller puts the run in waiting_approval.
   */
  private async requestApproval(
    call: ToolStep,
    input: Record<string, unknown>,
    reason: string,
  ): Promise<ToolStepResult> {
    const expiresAt = new Date(Date.now() + this.config.approvalTtlMs);
    await this.dataSource.transaction(async (m) => {
      await this.agents.holdForRunWrite(m, call.run.agent_id);
      const toolCallId = await this.provenance.requestApproval(m, {
        runId: call.run.id,
        stepIndex: call.step,
        skillId: call.skillId,
        input,
        origin: call.origin,
        expiresAt,
        reason,
      });
      await this.events.append(m, [
        {
          agentId: call.run.agent_id,
          runId: call.run.id,
          type: 'run.approval.requested',
          data: {
            tool_call_id: toolCallId,
            step: call.step,
            skill: call.skillId,
            input,
            reason,
            expires_at: expiresAt.toISOString(),
          },
        },
      ]);
    });
    return { ok: false, awaitingApproval: true, error: `waiting for approval of step ${call.step} (${call.skillId})` };
  }
}
