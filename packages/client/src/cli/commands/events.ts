import type { Command } from 'commander';
import { wholeNumber } from '../arguments.js';
import { contextOf } from '../context.js';
import { formatEvent } from '../format.js';

export function registerEvents(program: Command): void {
  const events = program.command('events').description("an agent's event log");

  events
    .command('tail <agent>')
    .description("follow an agent's events live (history first); with --run, one run's until it ends")
    .option('--run <run>', "only this run's events; ends after its last one")
    .option('--type <type>', 'an event type or a prefix ending in .* (run.*)')
    .option('--after <id>', 'start after this event id', wholeNumber(0, Number.MAX_SAFE_INTEGER))
    .action(async (agentId: string, options: { run?: string; type?: string; after?: number }, command: Command) => {
      const { client, out } = contextOf(command);
      const controller = new AbortController();
      // Ctrl-C ends a tail normally: whatever was printed is the output.
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      // So does a reader that has gone (`| head`): nothing more would be read.
      out.closed.addEventListener('abort', stop, { once: true });
      const streamOptions = { after: options.after, type: options.type, signal: controller.signal };
      const stream = options.run
        ? client.runEvents(agentId, options.run, streamOptions)
        : client.agentEvents(agentId, streamOptions);
      try {
        for await (const event of stream) {
          if (out.json) out.ndjson(event);
          else out.line(formatEvent(event, out.colors, { showRun: !options.run }));
        }
      } finally {
        process.off('SIGINT', stop);
        out.closed.removeEventListener('abort', stop);
      }
    });
}
