#!/usr/bin/env node
import { main } from './cli/main.js';
import { ExitCode } from './cli/exit-codes.js';
import { markClosed } from './cli/output.js';

let unwritable = false;
// `aos goal … --wait | head` closes the pipe early: that is the reader being done, not an error.
// Output stops (writes become no-ops) and the command ends as it would have, with its own code.
// Any other failure to write (a full disk) is said once, in one line, and the command fails.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  markClosed(process.stdout);
  if (error.code === 'EPIPE' || unwritable) return;
  unwritable = true;
  process.stderr.write(`error: cannot write to standard output: ${error.code ?? error.message}\n`);
  // The error may come after the command ended (the last write failed).
  if (!process.exitCode) process.exitCode = ExitCode.RunFailed;
});

const code = await main(process.argv);
process.exitCode = code === ExitCode.Ok && unwritable ? ExitCode.RunFailed : code;
