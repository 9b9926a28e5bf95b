import { CommanderError } from 'commander';
import { AosApiError, AosConnectionError, AosTimeoutError } from '../errors.js';
import type { RunStatus } from '../types.js';

/** The CLI's exit codes: one per outcome a script may want to branch on (README, "Exit codes"). */
export const ExitCode = {
  Ok: 0,
  RunFailed: 1,
  Usage: 2,
  RunPartial: 3,
  RunCancelled: 4,
  WaitingApproval: 5,
  TimedOut: 6,
  Unreachable: 7,
  Refused: 8,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** A command's exit code for the run it waited on. A run still going means the wait timed out. */
export function exitCodeForRun(status: RunStatus): ExitCode {
  switch (status) {
    case 'completed':
      return ExitCode.Ok;
    case 'failed':
      return ExitCode.RunFailed;
    case 'partial':
      return ExitCode.RunPartial;
    case 'cancelled':
      return ExitCode.RunCancelled;
    case 'waiting_approval':
      return ExitCode.WaitingApproval;
    case 'pending':
    case 'running':
      return ExitCode.TimedOut;
  }
}

/** Help and --version are "errors" to commander's exitOverride, and succeed. */
const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** The exit code for what a command threw. Anything unforeseen is a failure (1). */
export function exitCodeForError(error: unknown): ExitCode {
  if (error instanceof CommanderError) return COMMANDER_SUCCESS.has(error.code) ? ExitCode.Ok : ExitCode.Usage;
  if (error instanceof UsageError) return ExitCode.Usage;
  if (error instanceof AosApiError) return ExitCode.Refused;
  if (error instanceof AosConnectionError) return ExitCode.Unreachable;
  if (error instanceof AosTimeoutError) return ExitCode.TimedOut;
  return ExitCode.RunFailed;
}

/** A mistake in the command line found after commander parsed it (bad JSON in an option). */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
