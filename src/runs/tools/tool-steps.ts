import { Injectable } from '@nestjs/common';
import type { AgentApproval } from '../../agents/agent-approval.enum';
import { ConnectionsService, ConnectionUnavailableError } from '../../connections/connections.service';
import type { NewEvent } from '../../events/events.service';
import { MemoryService } from '../../memory/memory.service';
import { connectionSecretForms, redactText, redactValue } from '../../protocols/redact';
import { LeaseLostError, RunWrite, RunWriter } from '../../run-record/run-writer';
import { RunsRepository } from '../../run-record/runs.repository';
import { AgentPolicyRow } from '../../run-record/run-states.repository';
import type { Taint } from '../../run-record/taint';
import { ToolCallStatus } from '../../run-record/tool-call-status.enum';
import type { ToolCallEntity } from '../../run-record/tool-call.entity';
import { CallOrigin, ToolCallRef, ToolCallsRepository } from '../../run-record/tool-calls.repository';
import { ConnectionAccess, MemoryAccess, SkillError } from '../../skills/skill';
import { ConnectionKind } from '../../protocols/connection-kind.enum';
import type { ResolvedConnection } from '../../protocols/resolved-connection';
import { AgentTokens } from './agent-tokens';
import { SkillRegistry } from '../../skills/skill-registry';
import { ApprovalsService } from '../approvals/approvals.service';
import type { ActiveRun } from '../drivers/run-driver';
import { RunMetrics } from '../run-metrics';
import { policyOf, policyRefusal, RunPolicy, stricterPolicy } from './run-policy';

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

/** One tool call of a run: a plan's step, or one a model asked for. */
export interface ToolCall {
  /** Position in the run: the plan step, or the step after the model call that asked for it. */
  step: number;
  skillId: string;
  input: Record<string, unknown>;
  /** For a model-driven run: the model call that asked for the tool, and the provider's id of the call. */
  origin?: CallOrigin;
  /**
   * Whether the taint gates this call: true where outside content can have chosen it (a model's
   * call). A plan is fixed from the goal before any step runs, so its steps are not gated.
   */
  taintGates: boolean;
  /**
   * The run ends right after this call (a plan's last step): its result is committed with the
   * run's end, one transaction instead of two, with no wait between the two.
   */
  endsRun?: boolean;
}

/** What the call's decision write settled: refused, waiting for a person, or written ahead under this policy. */
type Decision = { refused: string } | { awaiting: true } | { go: RunPolicy };

/**
 * Makes tool calls through the skill registry, for planned steps and the agent loop alike: the
 * input validated against the manifest; then, in one fenced write, the policy applied (the stricter
 * of the run's frozen one and the agent's current one: skills, egress, approval with the taint
 * rule) and the call recorded as what that decided (refused, waiting for a person, or written ahead
 * as running); the skill run only after that write; its output validated; and the result recorded
 * with the memory the skill leaves and the run's taint, in one more fenced write.
 */
@Injectable()
export class ToolSteps {
  constructor(
    private readonly skills: SkillRegistry,
    private readonly connections: ConnectionsService,
    private readonly memory: MemoryService,
    private readonly writer: RunWriter,
    private readonly toolCalls: ToolCallsRepository,
    private readonly runs: RunsRepository,
    private readonly approvals: ApprovalsService,
    private readonly metrics: RunMetrics,
    private readonly agentTokens: AgentTokens,
  ) {}

  isIdempotent(skillId: string, input: unknown): boolean {
    if (!this.skills.has(skillId)) return true;
    const skill = this.skills.get(skillId);
    return skill.isIdempotent?.(input) ?? skill.manifest.side_effects !== 'non_idempotent';
  }

  /** The input as the skill runs it (its schema's defaults filled in): what the record holds. */
  normalised(skillId: string, input: unknown): unknown {
    return this.skills.normalisedInput(skillId, input);
  }

  /** Where a call's result comes from and whether it may be trusted, as the model is told. */
  provenanceOf(
    call: Pick<ToolCall, 'skillId' | 'input'>,
    result: ToolStepResult,
  ): { source: string; trusted: boolean } {
    return { source: this.skills.sourceOf(call.skillId, call.input), trusted: !result.untrusted };
  }

  /** A call finished in an earlier attempt, as it is handed on again (its taint is the run's already). */
  recorded(call: Pick<ToolCallEntity, 'status' | 'skillId' | 'output' | 'error'>): ToolStepResult {
    return call.status === ToolCallStatus.Succeeded
      ? { ok: true, output: call.output, untrusted: this.skills.outputIsOutside(call.skillId, call.output) }
      : { ok: false, error: call.error ?? 'failed', untrusted: this.skills.readsOutside(call.skillId) };
  }

  /** The policy a call is held to: the stricter of the run's frozen one and the agent's as it is now. */
  policyFor(run: ActiveRun, current: AgentPolicyRow = run.agentPolicy): RunPolicy {
    return stricterPolicy(
      policyOf(run.settings),
      policyOf({ ...current, approval: current.approval as AgentApproval }),
    );
  }

  /**
   * Makes the call, unless the policy refuses it (recorded failed, with the reason the model reads)
   * or it must first wait for a person: then it is recorded awaiting approval, with why, and nothing
   * runs (`previous`: its record from an earlier attempt; an answered approval is not asked again).
   */
  async execute(run: ActiveRun, call: ToolCall, previous?: ToolCallEntity): Promise<ToolStepResult> {
    const { step, skillId } = call;
    if (!this.skills.has(skillId)) return this.refuse(run, call, `skill ${skillId} is not available to this agent`);
    const input = structuredClone(call.input);
    const inputProblems = this.skills.inputProblems(skillId, input);
    if (inputProblems) return this.refuse(run, { ...call, input }, `invalid input for ${skillId}: ${inputProblems}`);
    const effects = this.skills.effectsOf(skillId, input);
    const ref = this.ref(run, call, input);
    const decision = await this.writer.step<Decision>(run.lease, async (w) => {
      run.agentPolicy = w.policy;
      const policy = this.policyFor(run, w.policy);
      const refusal = policyRefusal(policy, skillId, effects);
      if (refusal) {
        await this.toolCalls.refuse(w.m, ref, refusal);
        w.emit(started(run, call), completed(run, call, ToolCallStatus.Failed, 0, refusal));
        return { refused: refusal };
      }
      if (!previous?.approvalAnsweredAt) {
        const reason = this.approvals.reasonToAsk(policy, effects, call.taintGates ? run.taint : null);
        if (reason) {
          await this.approvals.request(w, run.agentId, ref, reason);
          return { awaiting: true };
        }
      }
      await this.toolCalls.writeAhead(w.m, ref);
      w.emit(started(run, call));
      return { go: policy };
    });
    if ('refused' in decision) return { ok: false, error: decision.refused };
    if ('awaiting' in decision) {
      return { ok: false, awaitingApproval: true, error: `waiting for approval of step ${step} (${skillId})` };
    }
    return this.run(run, call, ref, input, decision.go);
  }

  /**
   * A call that will not be made, recorded failed in one write: a skill the agent may not use, an
   * invalid input, or a call that was interrupted and is not safe to repeat.
   */
  async refuse(run: ActiveRun, call: ToolCall, error: string): Promise<ToolStepResult> {
    await this.writer.step(run.lease, async (w) => {
      await this.toolCalls.refuse(w.m, this.ref(run, call, call.input), error);
      w.emit(started(run, call), completed(run, call, ToolCallStatus.Failed, 0, error));
    });
    return { ok: false, error };
  }

  /**
   * A replay's call answered from the original's record: nothing runs, nothing waits for a person,
   * no memory is written; the call is recorded finished as the original ended, its step events
   * marked as replayed. What it serves taints the replay as the original was.
   */
  async serve(
    run: ActiveRun,
    call: ToolCall,
    served: { original: ToolCallEntity; result: ToolStepResult; status: ToolCallStatus },
  ) {
    const { original, result, status } = served;
    const untrusted = result.ok
      ? this.skills.outputIsOutside(call.skillId, result.output)
      : this.skills.readsOutside(call.skillId);
    const taint = untrusted ? this.taintOf(call, call.input) : undefined;
    await this.writer.step(run.lease, async (w) => {
      await this.toolCalls.serve(w.m, {
        ...this.ref(run, call, call.input),
        status,
        output: result.ok ? result.output : null,
        error: result.ok ? null : (result.error ?? null),
        replayedFrom: original.id,
      });
      const replayed = { replayed_from: original.id };
      w.emit(
        started(run, call, replayed),
        completed(run, call, status, 0, result.ok ? null : (result.error ?? null), replayed),
      );
      if (taint) await this.recordTaint(w, run, taint);
    });
    return { ...result, untrusted, taint };
  }

  /**
   * Marks the run tainted (the first taint is kept), with its run.tainted event, in the caller's
   * write: for a call's result, or for untrusted memories recalled into the context.
   */
  async recordTaint(w: RunWrite, run: ActiveRun, taint: Taint): Promise<void> {
    run.taint ??= taint;
    if (!(await this.runs.taint(w.m, run.id, taint))) return;
    w.emit({ agentId: run.agentId, runId: run.id, type: 'run.tainted', data: { ...taint } });
    this.metrics.tainted();
  }

  /** The skill runs (after its write-ahead); its result is recorded, fenced by the lease. */
  private async run(
    run: ActiveRun,
    call: ToolCall,
    ref: ToolCallRef,
    input: Record<string, unknown>,
    policy: RunPolicy,
  ): Promise<ToolStepResult> {
    const { skillId, step } = call;
    const started = Date.now();
    // Secrets the skill opens are remembered for this call: nothing it returns or throws may hold one.
    const opened: string[] = [];
    try {
      const raw = await this.skills.get(skillId).execute(input, {
        signal: run.signal,
        egress: policy.egress,
        agentId: run.agentId,
        runId: run.id,
        stepIndex: step,
        memory: this.memoryOf(run.agentId),
        connections: this.connectionsOf(run, opened),
      });
      const result = opened.length > 0 ? redactValue(raw, opened) : raw;
      const outputProblems = this.skills.outputProblems(skillId, result.output);
      if (outputProblems) throw new SkillError(`${skillId} returned an invalid output: ${outputProblems}`);
      const durationMs = Date.now() - started;
      const untrusted = this.skills.outputIsOutside(skillId, result.output);
      const taint = untrusted ? this.taintOf(call, input) : undefined;
      // What a tool brought back is kept unless the agent chose not to; an asked-for write always is.
      const memory = result.memory && (result.memory.written || policy.rememberToolResults) ? result.memory : undefined;
      // Written by a tainted run (this step's own taint included), a memory is untrusted.
      const trusted = !(run.taint ?? taint);
      const record = async (w: RunWrite) => {
        await this.toolCalls.complete(w.m, ref, {
          status: ToolCallStatus.Succeeded,
          output: result.output,
          durationMs,
        });
        w.emit(completed(run, call, ToolCallStatus.Succeeded, durationMs, null));
        if (taint) await this.recordTaint(w, run, taint);
        if (memory) {
          const { written: _written, ...stored } = memory;
          await this.memory.recordForStep(
            w,
            { agentId: run.agentId, runId: run.id, stepIndex: step },
            { ...stored, trusted },
          );
        }
      };
      const options = { agentRow: memory !== undefined };
      // The run's last write follows at once (nothing awaits between): the result commits with it.
      if (call.endsRun) this.writer.defer(run.lease, record, options);
      else {
        await this.writer.step(
          run.lease,
          async (w) => {
            run.agentPolicy = w.policy;
            await record(w);
          },
          options,
        );
      }
      return { ok: true, output: result.output, untrusted, taint };
    } catch (error) {
      if (error instanceof LeaseLostError) throw error;
      const cancelled = run.signal.aborted;
      const message = redactText(error instanceof Error ? error.message : String(error), opened);
      // A failure of a skill that reads the outside world taints too when its message carries a
      // server's words (an error AOS wrote itself, such as "answered 404", does not).
      const untrusted =
        !cancelled && this.skills.readsOutside(skillId) && !(error instanceof SkillError && !error.outsideText);
      const taint = untrusted ? this.taintOf(call, input) : undefined;
      const status = cancelled ? ToolCallStatus.Cancelled : ToolCallStatus.Failed;
      const recordedError = cancelled ? 'cancelled' : message;
      const durationMs = Date.now() - started;
      await this.writer.step(run.lease, async (w) => {
        await this.toolCalls.complete(w.m, ref, { status, error: recordedError, durationMs });
        w.emit(completed(run, call, status, durationMs, recordedError));
        if (taint) await this.recordTaint(w, run, taint);
      });
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

  private ref(run: ActiveRun, call: ToolCall, input: unknown): ToolCallRef {
    return { runId: run.id, stepIndex: call.step, skillId: call.skillId, input, origin: call.origin };
  }

  private taintOf(call: Pick<ToolCall, 'step' | 'skillId'>, input: unknown): Taint {
    return {
      step: call.step,
      skill: call.skillId,
      at: new Date().toISOString(),
      source: this.skills.sourceOf(call.skillId, input),
    };
  }

  private memoryOf(agentId: string): MemoryAccess {
    return { recall: (query, options) => this.memory.search(agentId, query, options) };
  }

  /** The agent's connections for one call; every secret handed out is noted in `opened` (all its wire forms). */
  private connectionsOf(run: ActiveRun, opened: string[]): ConnectionAccess {
    return {
      get: async (name, kind) => {
        try {
          const connection = await this.connections.resolveForRun(run.agentId, name, kind);
          if (connection.kind === ConnectionKind.Http) {
            const http = connection as ResolvedConnection<ConnectionKind.Http>;
            if (http.settings.auth === 'agent_token')
              http.secret = await this.agentTokens.mint(run, http.settings.origin);
          }
          opened.push(...connectionSecretForms(connection));
          return connection;
        } catch (error) {
          if (error instanceof ConnectionUnavailableError) throw new SkillError(error.message);
          throw error;
        }
      },
    };
  }
}

function started(run: ActiveRun, call: ToolCall, extra: { replayed_from?: string } = {}): NewEvent {
  return {
    agentId: run.agentId,
    runId: run.id,
    type: 'run.step.started',
    data: { step: call.step, skill: call.skillId, model_call_index: call.origin?.modelCallIndex ?? null, ...extra },
  };
}

function completed(
  run: ActiveRun,
  call: ToolCall,
  status: ToolCallStatus,
  durationMs: number,
  error: string | null,
  extra: { replayed_from?: string } = {},
): NewEvent {
  return {
    agentId: run.agentId,
    runId: run.id,
    type: 'run.step.completed',
    data: { step: call.step, skill: call.skillId, status, duration_ms: Math.round(durationMs), error, ...extra },
  };
}
