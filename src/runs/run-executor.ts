import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MemoryService } from '../memory/memory.service';
import { Plan, PLANNER, Planner } from '../planner/planner';
import { ProvenanceService } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import { ToolCallStatus } from '../provenance/tool-call-status.enum';
import { SkillError } from '../skills/skill';
import { SkillRegistry } from '../skills/skill-registry';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { retryDelayMs, runOutcome, StepOutcome, stepResumption } from './run-outcome';
import { ClaimedRun, RunQueue } from './run-queue';

/**
 * Executes one claimed run: plan (recorded before anything runs), then each step through the
 * skill registry. Every tool call is written ahead before the skill starts; a step that already
 * succeeded in an earlier attempt is not run again; an interrupted call that is not idempotent
 * is not repeated (the run ends partial instead).
 */
@Injectable()
export class RunExecutor {
  private readonly logger = new Logger(RunExecutor.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PLANNER) private readonly planner: Planner,
    private readonly skills: SkillRegistry,
    private readonly provenance: ProvenanceService,
    private readonly memory: MemoryService,
    private readonly queue: RunQueue,
  ) {}

  async execute(run: ClaimedRun, owner: string, signal: AbortSignal): Promise<void> {
    try {
      await this.executeSteps(run, owner, signal);
    } catch (error) {
      if (signal.aborted) return;
      if ((error as { driverError?: { code?: string } }).driverError?.code === '23503') {
        // Its provenance record is gone: the agent was deleted while the step ran.
        this.logger.log({ run_id: run.id }, 'run deleted while executing');
        return;
      }
      this.logger.error({ err: error, run_id: run.id }, 'run failed unexpectedly');
      const message = `internal error: ${error instanceof Error ? error.message : String(error)}`;
      // Most such errors are the database going away for a moment: try again while attempts last.
      await this.queue
        .finish(
          owner,
          run.id,
          run.attempts < run.max_attempts
            ? {
                status: RunStatus.Pending,
                errorMessage: message,
                retryAt: new Date(Date.now() + this.retryDelay(run.attempts)),
              }
            : { status: RunStatus.Failed, errorMessage: message },
        )
        .catch((e: unknown) =>
          this.logger.error({ err: e, run_id: run.id }, 'could not record the failure; the lease will lapse'),
        );
    }
  }

  private async executeSteps(run: ClaimedRun, owner: string, signal: AbortSignal): Promise<void> {
    const plan = await this.planOnce(run);
    const problems = plan.steps
      .map((step, i) => (this.skills.has(step.skill) ? undefined : `step ${i}: unknown skill ${step.skill}`))
      .filter(Boolean);
    if (problems.length > 0) {
      await this.queue.finish(owner, run.id, {
        status: RunStatus.Failed,
        errorMessage: `invalid plan: ${problems.join('; ')}`,
      });
      return;
    }

    const earlier = new Map((await this.provenance.toolCalls(run.id)).map((t) => [t.stepIndex, t]));
    const outcomes: StepOutcome[] = [];
    for (const [index, step] of plan.steps.entries()) {
      if (signal.aborted) return;
      const previous = earlier.get(index);
      const resumption = stepResumption(previous?.status, this.isIdempotent(step.skill, step.input));
      if (resumption === 'reuse') {
        outcomes.push({ ok: true });
        continue;
      }
      if (resumption === 'refuse') {
        const error = `step ${index} (${step.skill}) was interrupted and is not idempotent; it was not repeated`;
        await this.provenance.completeToolCall(run.id, index, {
          status: ToolCallStatus.Failed,
          error,
          durationMs: previous ? Date.now() - previous.startedAt.getTime() : 0,
        });
        outcomes.push({ ok: false, error });
        break;
      }
      outcomes.push(await this.runStep(run, index, step.skill, step.input, signal));
      if (signal.aborted) return;
    }

    const outcome = runOutcome(outcomes, run.attempts, run.max_attempts);
    await this.queue.finish(owner, run.id, {
      status: outcome.status,
      errorMessage: outcome.errorMessage,
      retryAt: outcome.retry ? new Date(Date.now() + this.retryDelay(run.attempts)) : undefined,
    });
  }

  private retryDelay(attempt: number): number {
    return retryDelayMs(attempt, this.config.runRetryBaseMs, this.config.runRetryMaxMs);
  }

  private isIdempotent(skillId: string, input: Record<string, unknown>): boolean {
    const skill = this.skills.get(skillId);
    return skill.isIdempotent?.(input) ?? skill.manifest.side_effects !== 'non_idempotent';
  }

  /** The plan of an earlier attempt is kept: a retried run does what was recorded. */
  private async planOnce(run: ClaimedRun): Promise<Plan> {
    const record = await this.provenance.find(run.id);
    if (record?.plan && record.planner) return { planner: record.planner, steps: record.plan as Plan['steps'] };
    const plan = await this.planner.plan(run.goal, {
      agentId: run.agent_id,
      runId: run.id,
      skills: this.skills.manifests(),
    });
    await this.provenance.recordPlan(run.id, plan);
    return plan;
  }

  private async runStep(
    run: ClaimedRun,
    index: number,
    skillId: string,
    rawInput: Record<string, unknown>,
    signal: AbortSignal,
  ): Promise<StepOutcome> {
    const input = structuredClone(rawInput);
    const inputProblems = this.skills.inputProblems(skillId, input);
    await this.provenance.startToolCall(run.id, index, skillId, input);
    const started = Date.now();
    if (inputProblems) {
      const error = `invalid input for ${skillId}: ${inputProblems}`;
      await this.provenance.completeToolCall(run.id, index, { status: ToolCallStatus.Failed, error, durationMs: 0 });
      return { ok: false, error };
    }
    try {
      const result = await this.skills.get(skillId).execute(input, {
        signal,
        agentId: run.agent_id,
        runId: run.id,
        stepIndex: index,
      });
      const outputProblems = this.skills.outputProblems(skillId, result.output);
      if (outputProblems) throw new SkillError(`${skillId} returned an invalid output: ${outputProblems}`);
      await this.dataSource.transaction(async (m) => {
        await this.provenance.completeToolCall(
          run.id,
          index,
          { status: ToolCallStatus.Succeeded, output: result.output, durationMs: Date.now() - started },
          m,
        );
        if (result.memory) {
          await this.memory.recordForStep(m, { agentId: run.agent_id, runId: run.id, stepIndex: index }, result.memory);
        }
      });
      return { ok: true };
    } catch (error) {
      const cancelled = signal.aborted;
      const message = error instanceof Error ? error.message : String(error);
      await this.provenance.completeToolCall(run.id, index, {
        status: cancelled ? ToolCallStatus.Cancelled : ToolCallStatus.Failed,
        error: cancelled ? 'cancelled' : message,
        durationMs: Date.now() - started,
      });
      return {
        ok: false,
        error: `step ${index} (${skillId}): ${message}`,
        // A failed call is tried again with the run only if repeating it is harmless.
        retryable: error instanceof SkillError && error.retryable && this.isIdempotent(skillId, input),
      };
    }
  }
}
