import { Inject, Injectable } from '@nestjs/common';
import { AgentStatus } from '../../agents/agent-status.enum';
import { AgentsService } from '../../agents/agents.service';
import { InvalidInputError } from '../../common/domain-error';
import type { AppConfig } from '../../config/app-config';
import { APP_CONFIG } from '../../config/config.module';
import { RunRecordService } from '../../run-record/run-record.service';
import { RunWriter } from '../../run-record/run-writer';
import { RunStatus } from '../../run-record/run-status.enum';
import type { ReplayRequestDto, RunComparisonDto } from '../dto/replay.dto';
import type { RunAcceptedDto } from '../dto/run.dto';
import { replayRefusal, replaySettings } from './replay';
import { compareCalls } from './run-compare';
import { AgentStoppedError, ReplayNotPossibleError, RunNotFoundError } from '../run.errors';
import { RunMetrics } from '../run-metrics';
import { RunsRepository } from '../../run-record/runs.repository';
import { RunsService } from '../runs.service';

/**
 * Replays of finished runs and side-by-side comparisons. A replay is a new run of the same goal,
 * queued like any other, that starts from its original's frozen settings (with overrides) and
 * recalled memories; how its calls are served is the executor's business (see ReplayRecords).
 */
@Injectable()
export class ReplaysService {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly writer: RunWriter,
    private readonly agents: AgentsService,
    private readonly record: RunRecordService,
    private readonly runs: RunsRepository,
    private readonly runsService: RunsService,
    private readonly metrics: RunMetrics,
  ) {}

  /** Accepts a replay: the new run and its event commit together before the 202. */
  async replay(agentId: string, runId: string, dto: ReplayRequestDto): Promise<RunAcceptedDto> {
    const accepted = await this.writer.guarded(null, async (w) => {
      const { m } = w;
      const agent = await this.agents.findOrFail(m, agentId, 'share');
      const original = await this.runs.findForAgent(agentId, runId, m);
      if (!original) throw new RunNotFoundError(runId);
      if (agent.status === AgentStatus.Stopped) throw new AgentStoppedError(agentId);
      const refusal = replayRefusal(original, dto.mode, dto.overrides);
      if (refusal?.conflict) throw new ReplayNotPossibleError(refusal.message);
      if (refusal) throw new InvalidInputError(refusal.field ?? 'mode', refusal.message);
      const id = await this.runs.insert(m, {
        agentId,
        goal: original.goal,
        priority: original.priority,
        idempotencyKey: null,
        maxAttempts: this.config.runMaxAttempts,
        replay: {
          of: original.id,
          mode: dto.mode,
          settings: replaySettings(original.settings!, dto.overrides),
          context: original.context,
        },
      });
      w.emit({
        agentId,
        runId: id,
        type: 'run.created',
        data: { goal: original.goal, priority: original.priority, replay_of: original.id, replay_mode: dto.mode },
      });
      return { run_id: id, status: RunStatus.Pending };
    });
    this.metrics.replayed(dto.mode);
    return accepted;
  }

  /** Two runs of the agent side by side: their summaries, their calls by step, where they first differ. */
  async compare(agentId: string, runId: string, otherRunId: string): Promise<RunComparisonDto> {
    const [left, right] = await Promise.all([
      this.runsService.summary(agentId, runId),
      this.runsService.summary(agentId, otherRunId),
    ]);
    const [leftCalls, rightCalls] = await Promise.all([this.record.steps(runId), this.record.steps(otherRunId)]);
    const { steps, firstDifference } = compareCalls(leftCalls, rightCalls);
    return {
      left,
      right,
      same_result:
        left.status === right.status && left.result === right.result && left.error_message === right.error_message,
      first_difference: firstDifference,
      steps,
      usage_difference: {
        model_calls: right.usage.model_calls - left.usage.model_calls,
        input_tokens: right.usage.input_tokens - left.usage.input_tokens,
        output_tokens: right.usage.output_tokens - left.usage.output_tokens,
      },
    };
  }
}
