import { pgError } from '../database/pg-error';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AgentPlanner } from '../agents/agent-planner.enum';
import { AgentsService } from '../agents/agents.service';
import type { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { Plan, PLANNER, Planner } from '../planner/planner';
import { ProvenanceService } from '../provenance/provenance.service';
import { RunStatus } from '../provenance/run-status.enum';
import { SkillRegistry } from '../skills/skill-registry';
import { AgentLoop } from './agent-loop';
import { declinedText } from './approval-policy';
import { servedResult, toolCallDivergence } from './replay';
import { ReplayRecords } from './replay-records';
import { retryDelayMs, runOutcome, StepOutcome, stepResumption } from './run-outcome';
import { ClaimedRun, RunQueue } from './run-queue';
import type { RunSettings } from './run-settings';
import { policyOf } from './run-policy';
import { RunsRepository } from './runs.repository';
import { ToolStepResult, ToolSteps } from './tool-steps';

/**
 * Executes one claimed run. The agent's settings are frozen into the run when it first starts;
 * a `llm` run goes to the agent loop, a `rule-based` one is planned (the plan recorded before
 * anything runs) and its steps executed in order: a step that already succeeded in an earlier
 * attempt is not run again, and an interrupted call that is not idempotent is not repeated (the
 * run ends partial instead).
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
    private readonly agents: AgentsService,
    private readonly runs: RunsRepository,
    private readonly queue: RunQueue,
    private readonly tools: ToolSteps,
    private readonly loop: AgentLoop,
    private readonly replays: ReplayRecords,
  ) {}

  async execute(run: ClaimedRun, owner: string, signal: AbortSignal): Promise<void> {
    try {
      const settings = run.settings ?? (await this.snapshotSettings(run));
      if (settings.planner === AgentPlanner.Llm) await this.loop.run(run, settings, owner, signal);
      else await this.executePlan(run, settings, owner, signal);
    } catch (error) {
      if (signal.aborted) return;
      if (pgError(error).code === '23503') {
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

  /** The agent's settings as they are when the run first starts; kept for every later attempt. */
  private async snapshotSettings(run: ClaimedRun): Promise<RunSettings> {
    const agent = await this.agents.findOrFail(this.dataSource.manager, run.agent_id);
    const settings: RunSettings = {
      planner: agent.planner,
      instructions: agent.instructions,
      models: agent.models,
      skills: agent.skills,
      max_steps: agent.maxSteps,
      approval: agent.approval,
      egress: agent.egress,
      egress_trusted: agent.egressTrusted,
      remember_tool_results: agent.rememberToolResults,
    };
    await this.runs.saveSettings(run.id, settings);
    return settings;
  }

  private async executePlan(run: ClaimedRun, settings: RunSettings, owner: string, signal: AbortSignal): Promise<void> {
    const replay = await this.replays.load(run);
    // A replay served from the record follows the original's plan, not today's planner and skills.
    const plan = replay?.plan ?? (await this.planOnce(run, settings));
    if (replay?.plan && !(await this.provenance.find(run.id))?.plan)
      await this.provenance.recordPlan(run.id, replay.plan);
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
    const policy = policyOf(settings);
    let taint = run.taint;
    for (const [index, step] of plan.steps.entries()) {
      if (signal.aborted) return;
      const previous = earlier.get(index);
      // A plan is fixed from the goal before any step runs: outside content cannot have chosen a
      // step, so the taint is recorded (and marks memories) but does not gate the plan's calls.
      const call = { run, step: index, skillId: step.skill, input: step.input, policy, taint, taintGates: false };
      if (replay) {
        // Served from the record; where the original stopped (a step it refused, a call that waited
        // and was cancelled), the replay stops too.
        const original = replay.toolCalls.get(index);
        if (!original && replay.plan) break;
        const divergence = toolCallDivergence(index, original, { skill: step.skill, input: step.input });
        if (divergence) {
          await this.queue.diverge(owner, run.id, divergence, replay.mode);
          return;
        }
        const result: ToolStepResult = previous ? servedResult(previous) : await this.tools.serve(call, original!);
        taint ??= result.taint ?? null;
        outcomes.push(
          result.ok ? { ok: true } : { ok: false, error: `step ${index} (${step.skill}): ${result.error}` },
        );
        continue;
      }
      const resumption = stepResumption(previous?.status, this.tools.isIdempotent(step.skill, step.input));
      if (resumption === 'reuse') {
        outcomes.push({ ok: true });
        continue;
      }
      if (resumption === 'declined') {
        outcomes.push({
          ok: false,
          error: `step ${index} (${step.skill}): ${previous!.error ?? declinedText(previous!)}`,
        });
        continue;
      }
      if (resumption === 'await') {
        await this.awaitApproval(run, owner, index, step.skill);
        return;
      }
      if (resumption === 'refuse') {
        const error = `step ${index} (${step.skill}) was interrupted and is not idempotent; it was not repeated`;
        await this.tools.refuse(call, error, previous);
        outcomes.push({ ok: false, error });
        break;
      }
      const result = await this.tools.execute(call, signal, previous);
      if (signal.aborted) return;
      taint ??= result.taint ?? null;
      if (result.awaitingApproval) {
        await this.awaitApproval(run, owner, index, step.skill);
        return;
      }
      outcomes.push(result.ok ? { ok: true } : { ...result, error: `step ${index} (${step.skill}): ${result.error}` });
    }

    const outcome = runOutcome(outcomes, run.attempts, run.max_attempts);
    await this.queue.finish(owner, run.id, {
      status: outcome.status,
      errorMessage: outcome.errorMessage,
      retryAt: outcome.retry ? new Date(Date.now() + this.retryDelay(run.attempts)) : undefined,
    });
  }

  private async awaitApproval(run: ClaimedRun, owner: string, step: number, skill: string): Promise<void> {
    await this.queue.awaitApproval(owner, run.id, `waiting for approval of ${skill} (step ${step})`, (m) =>
      this.agents.holdForRunWrite(m, run.agent_id),
    );
  }

  private retryDelay(attempt: number): number {
    return retryDelayMs(attempt, this.config.runRetryBaseMs, this.config.runRetryMaxMs);
  }

  /** The plan of an earlier attempt is kept: a retried run does what was recorded. */
  private async planOnce(run: ClaimedRun, settings: RunSettings): Promise<Plan> {
    const record = await this.provenance.find(run.id);
    if (record?.plan && record.planner) return { planner: record.planner, steps: record.plan as Plan['steps'] };
    // The planner plans with the skills the run may use (the allow-list of its settings).
    const plan = await this.planner.plan(run.goal, {
      agentId: run.agent_id,
      runId: run.id,
      skills: this.skills.manifests().filter((m) => settings.skills === null || settings.skills.includes(m.skill_id)),
    });
    await this.provenance.recordPlan(run.id, plan);
    return plan;
  }
}
