import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MemoryService } from '../memory/memory.service';
import { Plan, PLANNER, Planner } from '../planner/planner';
import { ProvenanceEntity } from '../provenance/provenance.entity';
import { ProvenanceService } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import { ToolCallStatus } from '../provenance/tool-call-status.enum';
import { SkillError } from '../skills/skill';
import { SkillRegistry } from '../skills/skill-registry';
import { ClaimedRun, RunQueue } from './run-queue';

const RETRY_BASE_MS = 1_000;
const RETRY_MAX_MS = 60_000;

interface StepOutcome {
  ok: boolean;
  error?: string;
  retryable?: boolean;
}

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
                retryAt: new Date(Date.now() + retryDelayMs(run.attempts)),
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
      if (previous?.status === ToolCallStatus.Succeeded) {
        outcomes.push({ ok: true });
        continue;
      }
      // `running`: the process died during the call; `cancelled`: it was aborted at shutdown (a
      // user's cancel never runs the step again). Either way the call may have had its effect.
      if (previous?.status === ToolCallStatus.Running || previous?.status === ToolCallStatus.Cancelled) {
        if (!this.isIdempotent(step.skill, step.input)) {
          const error = `step ${index} (${step.skill}) was interrupted and is not idempotent; it was not repeated`;
          await this.provenance.completeToolCall(this.dataSource.manager, run.id, index, {
            status: ToolCallStatus.Failed,
            error,
            durationMs: Date.now() - previous.startedAt.getTime(),
          });
          outcomes.push({ ok: false, error });
          break;
        }
      }
      outcomes.push(await this.runStep(run, index, step.skill, step.input, signal));
      if (signal.aborted) return;
    }

    const failures = outcomes.filter((o) => !o.ok);
    if (failures.length === 0) {
      await this.queue.finish(owner, run.id, { status: RunStatus.Completed, errorMessage: null });
      return;
    }
    const errorMessage = failures.map((f) => f.error).join('; ');
    if (failures.every((f) => f.retryable) && run.attempts < run.max_attempts) {
      // Failures that may pass (network, 5xx, 429): try the run again later; finished steps stay done.
      await this.queue.finish(owner, run.id, {
        status: RunStatus.Pending,
        errorMessage: `attempt ${run.attempts} failed, retrying: ${errorMessage}`,
        retryAt: new Date(Date.now() + retryDelayMs(run.attempts)),
      });
      return;
    }
    const succeeded = outcomes.some((o) => o.ok);
    await this.queue.finish(owner, run.id, {
      status: succeeded ? RunStatus.Partial : RunStatus.Failed,
      errorMessage,
    });
  }

  private isIdempotent(skillId: string, input: Record<string, unknown>): boolean {
    const skill = this.skills.get(skillId);
    return skill.isIdempotent?.(input) ?? skill.manifest.side_effects !== 'non_idempotent';
  }

  /** The plan of an earlier attempt is kept: a retried run does what was recorded. */
  private async planOnce(run: ClaimedRun): Promise<Plan> {
    const record = await this.dataSource.getRepository(ProvenanceEntity).findOneByOrFail({ id: run.id });
    if (record.plan && record.planner) return { planner: record.planner, steps: record.plan as Plan['steps'] };
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
      await this.provenance.completeToolCall(this.dataSource.manager, run.id, index, {
        status: ToolCallStatus.Failed,
        error,
        durationMs: 0,
      });
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
        await this.provenance.completeToolCall(m, run.id, index, {
          status: ToolCallStatus.Succeeded,
          output: result.output,
          durationMs: Date.now() - started,
        });
        if (result.memory) {
          await this.memory.recordForStep(m, { agentId: run.agent_id, runId: run.id, stepIndex: index }, result.memory);
        }
      });
      return { ok: true };
    } catch (error) {
      const cancelled = signal.aborted;
      const message = error instanceof Error ? error.message : String(error);
      await this.provenance.completeToolCall(this.dataSource.manager, run.id, index, {
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

/** Exponential backoff between attempts of a run (1 s, 2 s, 4 s … up to a minute) with jitter. */
function retryDelayMs(attempt: number): number {
  return Math.min(RETRY_BASE_MS * 2 ** (attempt - 1), RETRY_MAX_MS) * (1 + Math.random() * 0.2);
}
