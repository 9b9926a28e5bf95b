import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import type { AgentApproval } from '../agents/agent-approval.enum';
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
import { approvalNeeded } from './approval-policy';
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
}

export interface ToolStep {
  run: { id: string; agent_id: string };
  /** Position in the run: the plan step, or the step after the model call that asked for it. */
  step: number;
  skillId: string;
  input: Record<string, unknown>;
  /** For a model-driven run: the model call that asked for the tool, and the provider's id of the call. */
  origin?: { modelCallIndex: number; toolUseId: string };
  /** The run's approval policy (from its settings); undefined for runs from before approvals. */
  approval?: AgentApproval;
}

/**
 * Runs tool calls through the skill registry, for planned steps and the agent loop alike: the call
 * is written ahead (running) before the skill starts, its input validated against the manifest,
 * its output validated after, and the result recorded together with the memory the skill leaves,
 * in one transaction. The skill gets the run's AbortSignal and the agent's memory to search.
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
  ) {}

  isIdempotent(skillId: string, input: Record<string, unknown>): boolean {
    if (!this.skills.has(skillId)) return true;
    const skill = this.skills.get(skillId);
    return skill.isIdempotent?.(input) ?? skill.manifest.side_effects !== 'non_idempotent';
  }

  /**
   * Runs the call, unless it must first wait for a person: then it is recorded awaiting approval
   * and nothing runs (`previous`: its record from an earlier attempt; an answered approval is not
   * asked for again).
   */
  async execute(call: ToolStep, signal: AbortSignal, previous?: ToolCallEntity): Promise<ToolStepResult> {
    const { run, step, skillId } = call;
    const input = structuredClone(call.input);
    const inputProblems = this.skills.inputProblems(skillId, input);
    if (
      !inputProblems &&
      !previous?.approvalAnsweredAt &&
      approvalNeeded(call.approval, this.skills.effectsOf(skillId, input))
    ) {
      return this.requestApproval(call, input);
    }
    await this.start(call, input);
    const started = Date.now();
    if (inputProblems) {
      return this.fail(call, `invalid input for ${skillId}: ${inputProblems}`, 0);
    }
    // Secrets the skill opens are remembered for this call: nothing it returns or throws may hold one.
    const opened: string[] = [];
    try {
      const raw = await this.skills.get(skillId).execute(input, {
        signal,
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
        if (result.memory) {
          await this.memory.recordForStep(m, { agentId: run.agent_id, runId: run.id, stepIndex: step }, result.memory);
        }
      });
      return { ok: true, output: result.output };
    } catch (error) {
      const cancelled = signal.aborted;
      const message = redactText(error instanceof Error ? error.message : String(error), opened);
      await this.finishFailed(
        call,
        cancelled ? ToolCallStatus.Cancelled : ToolCallStatus.Failed,
        cancelled ? 'cancelled' : message,
        Date.now() - started,
      );
      return {
        ok: false,
        error: message,
        // A failed call is tried again with the run only if repeating it is harmless.
        retryable: error instanceof SkillError && error.retryable && this.isIdempotent(skillId, input),
      };
    }
  }

  /**
   * A replay's call answered from the original's record (`original`): nothing runs, nothing waits
   * for a person, no memory is written; the call is recorded finished as the original ended, with
   * its step events marked as replayed.
   */
  async serve(call: ToolStep, original: RecordedToolCall): Promise<ToolStepResult> {
    const result = servedResult(original);
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
    });
    return result;
  }

  /**
   * A call that will not run, recorded as failed: a skill the agent may not use, or a call that was
   * interrupted (its `previous` record) and is not safe to repeat.
   */
  async refuse(call: ToolStep, error: string, previous?: { startedAt: Date }): Promise<ToolStepResult> {
    if (!previous) await this.start(call, call.input);
    return this.fail(call, error, previous ? Date.now() - previous.startedAt.getTime() : 0);
  }

  private async fail(call: ToolStep, error: string, durationMs: number): Promise<ToolStepResult> {
    await this.finishFailed(call, ToolCallStatus.Failed, error, durationMs);
    return { ok: false, error };
  }

  /** The write-ahead record of the call and its run.step.started event, in one statement. */
  private async start(call: ToolStep, input: unknown): Promise<void> {
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
    call: ToolStep,
    status: ToolCallStatus.Failed | ToolCallStatus.Cancelled,
    error: string,
    durationMs: number,
  ): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.provenance.completeToolCall(call.run.id, call.step, { status, error, durationMs }, m);
      await this.events.append(m, [this.completedEvent(call, status, durationMs, error)]);
    });
  }

  private completedEvent(
    call: ToolStep,
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
   * Records the call as waiting for a person, with its run.approval.requested event; the caller
   * puts the run in waiting_approval.
   */
  private async requestApproval(call: ToolStep, input: Record<string, unknown>): Promise<ToolStepResult> {
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
            expires_at: expiresAt.toISOString(),
          },
        },
      ]);
    });
    return { ok: false, awaitingApproval: true, error: `waiting for approval of step ${call.step} (${call.skillId})` };
  }
}
