import { exitCodeForRun, ExitCode } from './exit-codes.js';
import { formatEvent, formatPendingApprovals } from './format.js';
import type { Context } from './context.js';
import { AosApiError, AosTimeoutError } from '../errors.js';
import { isFinished } from '../run-status.js';
import type { AosEvent, Run } from '../types.js';

const SPINNER_TEXT: Partial<Record<AosEvent['type'], string>> = {
  'run.created': 'waiting for a worker',
  'run.retrying': 'waiting to retry',
  'run.step.started': 'running a step',
  'run.model_call.completed': 'thinking',
};

/**
 * Follows a run live through its event stream until it ends, waits for a person, or `timeoutS`
 * passes; prints each event for people, or only the final run with --json. Returns the exit code.
 * When the events it needs to resume are gone (410: pruned while it was disconnected), it waits
 * for the run by long-poll instead: the run's outcome is still what the exit code tells.
 */
export async function watchRun(ctx: Context, agentId: string, runId: string, timeoutS?: number): Promise<ExitCode> {
  const { client, out } = ctx;
  const c = out.colors;
  const deadline = new AbortController();
  const endsAt = timeoutS === undefined ? undefined : Date.now() + timeoutS * 1000;
  const timer = endsAt === undefined ? undefined : setTimeout(() => deadline.abort(), endsAt - Date.now());
  try {
    out.spin('waiting for the run to start');
    let run: Run;
    let timedOut = false;
    try {
      for await (const event of client.runEvents(agentId, runId, { signal: deadline.signal })) {
        if (!out.json) out.line(formatEvent(event, c));
        out.spin(SPINNER_TEXT[event.type] ?? 'running');
        if (event.type !== 'run.waiting_approval') continue;
        // The stream says it waits; the run says for which calls (unless someone answered meanwhile).
        const waiting = await client.getRun(agentId, runId);
        if (waiting.status !== 'waiting_approval') continue;
        return waitingForApproval(ctx, waiting);
      }
      run = await client.getRun(agentId, runId);
      timedOut = deadline.signal.aborted;
    } catch (error) {
      if (!(error instanceof AosApiError && error.status === 410)) throw error;
      out.note(out.stderrColors.yellow(`live events are no longer available (${error.detail}); waiting for the run`));
      out.spin('waiting for the run');
      try {
        run = await client.waitForRun(agentId, runId, {
          timeoutMs: endsAt === undefined ? undefined : Math.max(0, endsAt - Date.now()),
        });
      } catch (waitError) {
        if (!(waitError instanceof AosTimeoutError && waitError.run)) throw waitError;
        run = waitError.run;
        timedOut = true;
      }
      if (run.status === 'waiting_approval') return waitingForApproval(ctx, run);
    }
    out.stop();
    if (timedOut && !isFinished(run.status)) {
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

/** A run waiting for a person: the calls and the commands that answer them, exit 5. */
function waitingForApproval(ctx: Context, run: Run): ExitCode {
  const { out } = ctx;
  out.stop();
  if (out.json) out.data(run);
  else out.lines(['', ...formatPendingApprovals(run, ctx.prefix, out.colors)]);
  return ExitCode.WaitingApproval;
}
