import { AosClient } from '../client.js';
import type { AosEvent, Run } from '../types.js';
import type { Context } from './context.js';
import { ExitCode } from './exit-codes.js';
import { Output } from './output.js';
import { watchRun } from './watch.js';

const frame = (id: number, type: AosEvent['type'], data: Record<string, unknown>) =>
  `id: ${id}\nevent: ${type}\ndata: ${JSON.stringify({ id, type, agent_id: 'a', run_id: 'r', created_at: '2026-01-02T03:04:05Z', data })}\n\n`;

function sink() {
  const stream = {
    text: '',
    isTTY: false,
    write(chunk: string) {
      stream.text += chunk;
      return true;
    },
  };
  return stream;
}

/**
 * A server whose run stream drops after one event and, on the resume, answers 410 (the events
 * after it were pruned meanwhile); the run itself answers the long-poll with `final`.
 */
function serverWithPrunedEvents(final: Partial<Run>) {
  const asked: string[] = [];
  const encoder = new TextEncoder();
  const fetch = (input: string | URL | Request): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    asked.push(url.pathname + url.search);
    if (url.pathname.endsWith('/events/stream')) {
      if (asked.length > 1) return Promise.resolve(Response.json({ detail: 'events were removed' }, { status: 410 }));
      const chunks = ['retry: 1\n\n', frame(1, 'run.started', { attempt: 1 })];
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.error(new TypeError('terminated'));
          else controller.enqueue(encoder.encode(chunk));
        },
      });
      return Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
    }
    return Promise.resolve(Response.json({ id: 'r', agent_id: 'a', pending_approvals: [], result: null, ...final }));
  };
  return { fetch, asked };
}

function context(fetch: typeof globalThis.fetch) {
  const stdout = sink();
  const stderr = sink();
  const ctx: Context = {
    client: new AosClient({ baseUrl: 'http://aos.test', fetch }),
    out: new Output(false, stdout as unknown as NodeJS.WriteStream, stderr as unknown as NodeJS.WriteStream),
    prefix: { program: 'aos', flags: [] },
  };
  return { ctx, stdout, stderr };
}

describe('watching a run', () => {
  it('falls back to the long-poll when the events to resume from are gone (410), and exits as the run did', async () => {
    const server = serverWithPrunedEvents({ status: 'completed', result: 'done' });
    const { ctx, stdout, stderr } = context(server.fetch);
    expect(await watchRun(ctx, 'a', 'r')).toBe(ExitCode.Ok);
    expect(stdout.text).toMatch(/run started \(attempt 1\)\n\nresult\ndone\n$/);
    expect(stderr.text).toBe('live events are no longer available (events were removed); waiting for the run\n');
    expect(server.asked).toEqual([
      '/agents/a/runs/r/events/stream',
      '/agents/a/runs/r/events/stream',
      '/agents/a/runs/r?wait=60',
    ]);

    const failed = context(serverWithPrunedEvents({ status: 'failed' }).fetch);
    expect(await watchRun(failed.ctx, 'a', 'r')).toBe(ExitCode.RunFailed);
  });

  it('shows the calls a run waits on after the fallback, and exits 5', async () => {
    const waiting = {
      status: 'waiting_approval' as const,
      pending_approvals: [
        {
          tool_call_id: 'c1',
          step: 0,
          skill: 'memory_write',
          input: {},
          reason: 'always',
          requested_at: '',
          expires_at: '',
        },
      ],
    };
    const { ctx, stdout } = context(serverWithPrunedEvents(waiting).fetch);
    expect(await watchRun(ctx, 'a', 'r')).toBe(ExitCode.WaitingApproval);
    expect(stdout.text).toContain('approve: aos runs approve a r --call c1');
  });
});
