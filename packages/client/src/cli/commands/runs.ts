import { type Command, Option } from 'commander';
import type { ApprovalAnswer, ReplayMode, ReplayRequest, RunStatus } from '../../types.js';
import { seconds, wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { exitCodeForRun } from '../exit-codes.js';
import { clip, colourStatus, formatComparison, formatPendingApprovals, formatRun, formatTable } from '../format.js';
import { watchRun } from '../watch.js';

const RUN_STATUSES = ['pending', 'running', 'completed', 'failed', 'partial', 'cancelled', 'waiting_approval'];

export function registerGoal(program: Command): void {
  program
    .command('goal <agent> <text>')
    .description('give an agent a goal; with --wait, follow the run live until it ends')
    .option('--priority <n>', 'higher runs first (0-9, default 5)', wholeNumber(0, 9))
    .option('--wait', 'stream the run: steps, tool calls, model calls, approvals, the result')
    .option('--timeout <seconds>', 'stop waiting after this long (exit 6; implies --wait)', seconds)
    .option('--idempotency-key <key>', 'the same key for the same agent returns the same run')
    .action(
      async (
        agentId: string,
        goal: string,
        options: { priority?: number; wait?: boolean; timeout?: number; idempotencyKey?: string },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const { client, out } = ctx;
        const accepted = await client.submitGoal(
          agentId,
          { goal, ...(options.priority !== undefined ? { priority: options.priority } : {}) },
          { idempotencyKey: options.idempotencyKey },
        );
        if (!options.wait && options.timeout === undefined) {
          if (out.json) out.data(accepted);
          else out.line(`run ${accepted.run_id} ${accepted.status}`);
          return;
        }
        if (!out.json) out.line(out.colors.dim(`run ${accepted.run_id}`));
        process.exitCode = await watchRun(ctx, agentId, accepted.run_id, options.timeout);
      },
    );
}

function approvalCommand(runs: Command, verb: 'approve' | 'reject'): void {
  runs
    .command(`${verb} <agent> <run>`)
    .description(`${verb} a call the run waits on (every waiting call without --call)`)
    .option('--call <tool_call_id>', 'the call to answer')
    .option('--reason <text>', verb === 'reject' ? 'why (the model reads it)' : 'why')
    .option('--by <name>', 'who answers (recorded)')
    .action(
      async (
        agentId: string,
        runId: string,
        options: { call?: string; reason?: string; by?: string },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const { client, out } = ctx;
        const body: ApprovalAnswer = {
          ...(options.call ? { tool_call_id: options.call } : {}),
          ...(options.reason ? { reason: options.reason } : {}),
          ...(options.by ? { by: options.by } : {}),
        };
        const run =
          verb === 'approve'
            ? await client.approveRun(agentId, runId, body)
            : await client.rejectRun(agentId, runId, body);
        if (out.json) return out.data(run);
        out.line(
          `${verb === 'approve' ? 'approved' : 'rejected'}; run ${run.id} is ${colourStatus(run.status, out.colors)}`,
        );
        if (run.pending_approvals.length > 0) out.lines(['', ...formatPendingApprovals(run, ctx.prefix, out.colors)]);
      },
    );
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, inspect, wait for, answer, cancel, replay and compare runs');

  runs
    .command('list <agent>')
    .description("an agent's runs, newest first")
    .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES))
    .option('--limit <n>', 'how many (1-100)', wholeNumber(1, 100))
    .option('--cursor <cursor>', 'the next page (next_cursor of the previous one)')
    .action(
      async (agentId: string, options: { status?: RunStatus; limit?: number; cursor?: string }, command: Command) => {
        const { client, out } = contextOf(command);
        const page = await client.listRuns(agentId, options);
        if (out.json) return out.data(page);
        const c = out.colors;
        out.lines(
          formatTable(
            ['id', 'status', 'priority', 'created', 'goal'],
            page.items.map((r) => [
              r.id,
              colourStatus(r.status, c),
              String(r.priority),
              r.created_at,
              clip(r.goal, 60),
            ]),
            c,
          ),
        );
        if (page.next_cursor) out.note(out.stderrColors.dim(`more: --cursor ${page.next_cursor}`));
      },
    );

  runs
    .command('show <agent> <run>')
    .description('a run: status, result, model calls, tool calls, pending approvals')
    .action(async (agentId: string, runId: string, _options: unknown, command: Command) => {
      const ctx = contextOf(command);
      const run = await ctx.client.getRun(agentId, runId);
      if (ctx.out.json) return ctx.out.data(run);
      ctx.out.lines(formatRun(run, ctx.out.colors));
      if (run.pending_approvals.length > 0)
        ctx.out.lines(['', ...formatPendingApprovals(run, ctx.prefix, ctx.out.colors)]);
    });

  runs
    .command('wait <agent> <run>')
    .description('wait until the run is finished or waits for approval; exits with its status code')
    .option('--timeout <seconds>', 'stop waiting after this long (exit 6)', seconds)
    .action(async (agentId: string, runId: string, options: { timeout?: number }, command: Command) => {
      const ctx = contextOf(command);
      const { client, out } = ctx;
      let run;
      try {
        out.spin('waiting for the run');
        run = await client.waitForRun(agentId, runId, {
          timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
        });
      } finally {
        out.stop();
      }
      if (out.json) out.data(run);
      else {
        out.lines(formatRun(run, out.colors));
        if (run.status === 'waiting_approval') out.lines(['', ...formatPendingApprovals(run, ctx.prefix, out.colors)]);
      }
      process.exitCode = exitCodeForRun(run.status);
    });

  runs
    .command('cancel <agent> <run>')
    .description('cancel a pending, running or waiting run')
    .action(async (agentId: string, runId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const run = await client.cancelRun(agentId, runId);
      if (out.json) out.data(run);
      else out.line(`run ${run.id} is ${colourStatus(run.status, out.colors)}`);
    });

  approvalCommand(runs, 'approve');
  approvalCommand(runs, 'reject');

  runs
    .command('replay <agent> <run>')
    .description('run a finished run again: from its record, with the model live, or entirely live')
    .addOption(
      new Option('--mode <mode>', 'recorded: no network; model_live: the model called again; live: every call again')
        .choices(['recorded', 'model_live', 'live'])
        .default('recorded'),
    )
    .option('--instructions <text>', 'override the system prompt (model_live, live)')
    .option('--anthropic-model <model>', 'override the Anthropic model (model_live, live)')
    .option('--openai-model <model>', 'override the OpenAI model (model_live, live)')
    .option('--wait', 'follow the new run live until it ends')
    .option('--timeout <seconds>', 'stop waiting after this long (exit 6; implies --wait)', seconds)
    .action(
      async (
        agentId: string,
        runId: string,
        options: {
          mode: ReplayMode;
          instructions?: string;
          anthropicModel?: string;
          openaiModel?: string;
          wait?: boolean;
          timeout?: number;
        },
        command: Command,
      ) => {
        const ctx = contextOf(command);
        const { client, out } = ctx;
        const models = {
          ...(options.anthropicModel ? { anthropic: options.anthropicModel } : {}),
          ...(options.openaiModel ? { openai: options.openaiModel } : {}),
        };
        const overrides: NonNullable<ReplayRequest['overrides']> = {
          ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
          ...(Object.keys(models).length > 0 ? { models } : {}),
        };
        const accepted = await client.replayRun(agentId, runId, {
          mode: options.mode,
          ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
        });
        if (!options.wait && options.timeout === undefined) {
          if (out.json) out.data(accepted);
          else out.line(`run ${accepted.run_id} ${accepted.status} (replay of ${runId}, ${options.mode})`);
          return;
        }
        if (!out.json) out.line(out.colors.dim(`run ${accepted.run_id} (replay of ${runId}, ${options.mode})`));
        process.exitCode = await watchRun(ctx, agentId, accepted.run_id, options.timeout);
      },
    );

  runs
    .command('compare <agent> <run> <other>')
    .description('two runs step by step (a replay and its original, say)')
    .action(async (agentId: string, runId: string, otherId: string, _options: unknown, command: Command) => {
      const { client, out } = contextOf(command);
      const comparison = await client.compareRuns(agentId, runId, otherId);
      if (out.json) return out.data(comparison);
      out.lines(formatComparison(comparison, out.colors));
    });
}
