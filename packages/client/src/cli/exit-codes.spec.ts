import { CommanderError } from 'commander';
import { AosApiError, AosConnectionError, AosTimeoutError } from '../errors.js';
import { ExitCode, exitCodeForError, exitCodeForRun, UsageError } from './exit-codes.js';

describe('exit codes', () => {
  it.each([
    ['completed', 0],
    ['failed', 1],
    ['partial', 3],
    ['cancelled', 4],
    ['waiting_approval', 5],
    ['pending', 6],
    ['running', 6],
  ] as const)('a run that is %s exits %i', (status, code) => {
    expect(exitCodeForRun(status)).toBe(code);
  });

  it('gives every outcome its own code', () => {
    const codes = Object.values(ExitCode);
    expect(new Set(codes).size).toBe(codes.length);
    expect(codes).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('maps what a command throws: refusals 8, no answer 7, deadlines 6, usage 2, the unforeseen 1', () => {
    expect(exitCodeForError(new AosApiError(401, 'Invalid API key', { detail: 'Invalid API key' }))).toBe(8);
    expect(exitCodeForError(new AosApiError(503, 'unhealthy', null))).toBe(8);
    expect(exitCodeForError(new AosConnectionError('http://x', new Error('boom')))).toBe(7);
    expect(exitCodeForError(new AosTimeoutError(1000, undefined))).toBe(6);
    expect(exitCodeForError(new UsageError('give one'))).toBe(2);
    expect(exitCodeForError(new CommanderError(1, 'commander.unknownCommand', 'unknown'))).toBe(2);
    expect(exitCodeForError(new CommanderError(0, 'commander.helpDisplayed', '(help)'))).toBe(0);
    expect(exitCodeForError(new Error('bug'))).toBe(1);
  });
});
