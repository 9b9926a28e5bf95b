import { exitCodeForRun, ExitCode } from './exit-codes.js';
import { formatEvent, formatPendingApprovals } from './format.js';
import type { Context } from './context.js';
import { isFinished } from '../run-status.js';
import type { AosEvent } from '../types.js';

const SPINNER_TEXT: Partial<Record<AosEvent['type'], string>> = {
  'run.created': 'waiting for a worker',
  'run.retrying': 'waiting to retry',
  'run.step.started': 'running a step',
  'run.model_call.completed': 'thinking',
};

/**
 * Follows a run live through its event stream until it ends, waits for a person, or `timeoutS`
 * passes; prints each event for people, or only the final run with --json. Returns the exit code.
 */
export async function watchRun(ctx: Context, agentId: string, runId: string, timeoutS?: number): Promise<ExitCode> {
  const { client, out } = ctx;
  const c = out.colors;
  const deadline = new AbortController();
  const timer = timeoutS === undefined ? undefined : setTimeout(() => deadline.abort(), timeoutS * 1000);
  try {
    out.spin('waiting for the run to start');
    for await (const event of client.runEvents(agentId, runId, { signal: deadline.signal })) {
      if (!out.json) out.line(formatEvent(event, c));
      out.spin(SPINNER_TEXT[event.type] ?? 'running');
      if (event.type !== 'run.waiting_approval') continue;
      // The stream says it waits; the run says for which calls (unless someone answered meanwhile).
      const run = await client.getRun(agentId, runId);
      if (run.status !== 'waiting_approval') continue;
      out.stop();
      if (out.json) out.data(run);
      else out.lines(['', ...formatPendingApprovals(run, ctx.prefix, c)]);
      return ExitCode.WaitingApproval;
    }
    const run = await client.getRun(agentId, runId);
    out.stop();
    if (deadline.signal.aborted && !isFinished(run.status)) {
      if (out.json) out.data(run);
      out.error(`error: timed out after ${timeoutS} s; run ${run.id} is ${run.status}`);
      return ExitCode.TimedOut;
    }
    if (out.json) out.data(run);
    else if (run.result) out.lines(['', c.bold('result'), run.result]);
    return exitCodeForRun(run.status);
  } finally {
    clearTimeout(timer);
    out.stop();
  }
}
