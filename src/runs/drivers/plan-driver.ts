import { Inject, Injectable } from '@nestjs/common';
import { AgentPlanner } from '../../agents/agent-planner.enum';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { Plan, PLANNER, Planner, PlanStep } from '../../planner/planner';
import { RunRecordService } from '../../run-record/run-record.service';
import { RunStatus } from '../../run-record/run-status.enum';
import { RunWriter } from '../../run-record/run-writer';
import { RunsRepository } from '../../run-record/runs.repository';
import type { ToolCallEntity } from '../../run-record/tool-call.entity';
import { SkillRegistry } from '../../skills/skill-registry';
import { ApprovalsService } from '../approvals/approvals.service';
import { declinedText } from '../approvals/declined-text';
import { RunQueue } from '../queue/run-queue';
import { servedResult } from '../replay/replay';
import { RunSources, Sources } from '../sources/run-sources';
import { ToolSteps } from '../tools/tool-steps';
import { nextAction } from './next-action';
import { retryDelayMs, runOutcome, StepOutcome } from './outcomes';
import type { ActiveRun, RunDriver } from './run-driver';

/**
 * The planned run: planned once (the plan recorded before any step runs, and kept for every
 * later attempt), then its steps executed in order. A step that already succeeded in an earlier
 * attempt is not run again, and an interrupted call that is not idempotent is not repeated (the
 * run ends partial instead). A replay follows its original's plan, served from its record.
 */
@Injectable()
export class PlanDriver implements RunDriver {
  readonly planner = AgentPlanner.RuleBased;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(PLANNER) private readonly plans: Planner,
    private readonly skills: SkillRegistry,
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
    const plan = await this.planOnce(run, sources);
    const problems = plan.steps
      .map((step, i) => (this.skills.has(step.skill) ? undefined : `step ${i}: unknown skill ${step.skill}`))
      .filter(Boolean);
    if (problems.length > 0) {
      await this.queue.finish(run.lease, {
        status: RunStatus.Failed,
        errorMessage: `invalid plan: ${problems.join('; ')}`,
      });
      return;
    }
    const earlier = new Map(
      (run.claimed.has_record ? await this.record.toolCalls(run.id) : []).map((t) => [t.stepIndex, t]),
    );
    const outcomes: StepOutcome[] = [];
    for (const [index, step] of plan.steps.entries()) {
      if (run.signal.aborted) return;
      const last = index === plan.steps.length - 1;
      const outcome = await this.step(run, sources, { index, step, last }, earlier.get(index));
      if (outcome === 'left') return;
      if (outcome === 'end') break;
      outcomes.push(outcome);
      if (outcome.last) break;
    }
    const outcome = runOutcome(outcomes, run.claimed.attempts, run.claimed.max_attempts);
    await this.queue.finish(run.lease, {
      status: outcome.status,
      errorMessage: outcome.errorMessage,
      retryAt: outcome.retry
        ? new Date(
            Date.now() + retryDelayMs(run.claimed.attempts, this.config.runRetryBaseMs, this.config.runRetryMaxMs),
          )
        : undefined,
    });
  }

  /**
   * One step: its outcome (`last`: no step may follow), `end` where a replay's original stopped,
   * or `left` when the run left the worker (waits for a person, diverged, cancelled).
   */
  private async step(
    run: ActiveRun,
    sources: Sources,
    { index, step, last }: { index: number; step: PlanStep; last: boolean },
    previous: ToolCallEntity | undefined,
  ): Promise<(StepOutcome & { last?: boolean }) | 'end' | 'left'> {
    const replayed = sources.tools.replayed(index);
    const action = nextAction({
      at: 'tool_call',
      driver: 'plan',
      step: index,
      asked: { skill: step.skill, input: this.tools.normalised(step.skill, step.input) },
      idempotent: this.tools.isIdempotent(step.skill, step.input),
      previous: previous && { status: previous.status, skill: previous.skillId, toolUseId: previous.toolUseId },
      replayed: replayed && {
        ...replayed,
        original: replayed.original && {
          skill: replayed.original.skill,
          input: this.tools.normalised(replayed.original.skill, replayed.original.input),
        },
      },
    });
    // A plan is fixed from the goal before any step runs: outside content cannot have chosen a
    // step, so the taint is recorded (and marks memories) but does not gate the plan's calls.
    const call = { step: index, skillId: step.skill, input: step.input, taintGates: false, endsRun: last };
    const failed = (error: string | undefined) => `step ${index} (${step.skill}): ${error}`;
    switch (action.do) {
      case 'end_as_original':
        return 'end';
      case 'diverged':
        await this.queue.diverge(run.lease, action.divergence, sources.replay!.mode);
        return 'left';
      case 'reuse_result': {
        const result = servedResult(previous!);
        return result.ok ? { ok: true } : { ok: false, error: failed(result.error) };
      }
      case 'declined':
        return { ok: false, error: failed(previous!.error ?? declinedText(previous!)) };
      case 'await':
        await this.approvals.wait(run.lease, `waiting for approval of ${step.skill} (step ${index})`);
        return 'left';
      case 'refuse':
        await this.tools.refuse(run, call, action.reason);
        return { ok: false, error: action.reason, last: true };
      case 'make_call': {
        const result = await sources.tools.make(run, call, previous);
        if (run.signal.aborted) return 'left';
        if (result.awaitingApproval) {
          await this.approvals.wait(run.lease, `waiting for approval of ${step.skill} (step ${index})`);
          return 'left';
        }
        return result.ok ? { ok: true } : { ...result, error: failed(result.error) };
      }
      case 'fail':
        // A plan's record is keyed by step alone: it cannot hold another conversation's call.
        throw new Error(action.reason);
    }
  }

  /**
   * The plan of an earlier attempt is kept: a retried run does what was recorded. A replay served
   * from a record follows the original's plan, not today's planner and skills.
   */
  private async planOnce(run: ActiveRun, sources: Sources): Promise<Plan> {
    const { claimed } = run;
    if (claimed.plan && claimed.planner) return { planner: claimed.planner, steps: claimed.plan as PlanStep[] };
    // The planner plans with the skills the run may use (the allow-list of its settings).
    const plan =
      sources.replay?.plan ??
      (await this.plans.plan(run.goal, {
        agentId: run.agentId,
        runId: run.id,
        skills: this.skills
          .manifests()
          .filter((m) => run.settings.skills === null || run.settings.skills.includes(m.skill_id)),
      }));
    // Committed with the run's next write: the first step's, before it runs (or its end).
    this.writer.defer(run.lease, (w) => this.runs.recordPlan(w.m, run.id, plan));
    return plan;
  }
}
