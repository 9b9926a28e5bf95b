// Prints one plain closing line ("tests: N passed, N failed") that CI log readers understand, and
// makes a leak fail the run visibly: Jest sets process.exitCode = 1 when code runs after a test
// file's environment was torn down (a timer or connection the app did not close), without
// counting a failed test.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const leaked = process.exitCode === 1 && results.numFailedTests === 0 && results.numFailedTestSuites === 0;
    process.stdout.write(
      `tests: ${results.numPassedTests} passed, ${results.numFailedTests} failed` +
        (skipped ? `, ${skipped} skipped` : '') +
        (leaked ? '; FAILED: code ran after a test environment was torn down (leaked timer or connection)' : '') +
        '\n',
    );
  }
}
module.exports = SummaryReporter;
