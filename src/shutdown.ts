/** The signals that end the service: Ctrl-C, an orchestrator's stop, a closed terminal. */
export const SHUTDOWN_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * What the process does on each shutdown signal: the first one starts a graceful stop, every
 * later one hurries it (npm forwards a group's Ctrl-C to its child, so one key press can arrive
 * twice). The handlers stay installed until the process exits: a signal with no handler would
 * kill the process on the spot and leave its embedded PostgreSQL running.
 */
export function onShutdownSignals(handlers: {
  graceful(signal: NodeJS.Signals): void;
  hurry(signal: NodeJS.Signals): void;
}): void {
  let received = 0;
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => {
      received += 1;
      if (received === 1) handlers.graceful(signal);
      else handlers.hurry(signal);
    });
  }
}
