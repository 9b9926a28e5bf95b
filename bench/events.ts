/**
 * Events benchmarks.
 *   SSE latency: N open streams (100, then 1,000) on 100 agents of one instance; 400 events
 *     (agent.updated from PATCH /agents/{id}, 40/s on random agents) each reach the N/100 streams
 *     of their agent. Latency runs from sending the PATCH (the commit lies between sending and
 *     its answer, so this is an upper bound) to the event's arrival on each stream. Memory per
 *     open stream: the service's resident memory with the streams open, minus before, ÷ N.
 *   NATS relay: events made while nats-server is stopped, then the time from its restart until
 *     the relay's durable position has caught up: events/s through the relay.
 */
import type { ChildProcess } from 'node:child_process';
import type { NatsTestServer } from '../test/support/nats-server';
import { API_KEY, api, load, percentile, rssMb, sleep, withClient } from './support';

const AGENTS = 100;
const EVENTS = 400;
const RATE_PER_S = 40;

/** One SSE stream that timestamps each agent.updated it receives by the name it carries. */
async function openStream(
  url: string,
  onUpdate: (name: string, at: number) => void,
  signal: AbortSignal,
): Promise<{ done: Promise<void> }> {
  const res = await fetch(url, { headers: { 'x-aos-key': API_KEY, accept: 'text/event-stream' }, signal });
  if (res.status !== 200 || !res.body) throw new Error(`stream ${url}: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  const done = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) return;
        const at = performance.now();
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!frame.includes('event: agent.updated')) continue;
          const data = frame.split('\n').find((l) => l.startsWith('data: '));
          if (data)
            onUpdate((JSON.parse(data.slice(6)) as { data: { changes: { name: string } } }).data.changes.name, at);
        }
      }
    } catch {
      // Aborted at the end of the measurement.
    }
  })();
  return { done };
}

async function sseRound(aos: { child: ChildProcess; url: string }, agents: string[], streams: number): Promise<void> {
  const perAgent = streams / agents.length;
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const controller = new AbortController();
  const before = rssMb(aos.child.pid!);
  const opened = [];
  for (const agent of agents) {
    for (let i = 0; i < perAgent; i++) {
      opened.push(
        openStream(
          `${aos.url}/agents/${agent}/events/stream?type=agent.updated`,
          (name, at) => {
            const t0 = sent.get(name);
            if (t0 !== undefined) latencies.push(at - t0);
          },
          controller.signal,
        ),
      );
    }
  }
  const handles = await Promise.all(opened);
  await sleep(1_000);
  const withStreams = rssMb(aos.child.pid!);
  for (let n = 0; n < EVENTS; n++) {
    const name = `sse-${streams}-${n}`;
    const agent = agents[Math.floor(Math.random() * agents.length)];
    sent.set(name, performance.now());
    void api(aos.url, 'PATCH', `/agents/${agent}`, { name });
    await sleep(1_000 / RATE_PER_S);
  }
  const expected = EVENTS * perAgent;
  const deadline = Date.now() + 10_000;
  while (latencies.length < expected && Date.now() < deadline) await sleep(50);
  controller.abort();
  await Promise.all(handles.map((h) => h.done));
  latencies.sort((a, b) => a - b);
  console.log(
    `commit → SSE, ${String(streams).padStart(4)} streams  p50 ${percentile(latencies, 50).toFixed(1)} ms  ` +
      `p99 ${percentile(latencies, 99).toFixed(1)} ms  max ${latencies[latencies.length - 1].toFixed(1)} ms  ` +
      `(${latencies.length}/${expected} deliveries of ${EVENTS} events at ${RATE_PER_S}/s)  ` +
      `memory ${(((withStreams - before) * 1024) / streams).toFixed(0)} KB per open stream`,
  );
}

export async function benchSse(aos: { child: ChildProcess; url: string }): Promise<void> {
  const agents: string[] = [];
  for (let i = 0; i < AGENTS; i++) {
    agents.push((await api<{ id: string }>(aos.url, 'POST', '/agents', { name: `watched-${i}` })).id);
  }
  await sseRound(aos, agents, 100);
  await sseRound(aos, agents, 1_000);
}

/** Events/s through the relay: a backlog made while NATS is down, drained after it is back. */
export async function benchNatsRelay(aos: { url: string }, dbUrl: string, nats: NatsTestServer): Promise<void> {
  const position = (name: string) =>
    withClient(dbUrl, async (c) =>
      Number(
        (await c.query<{ p: string }>('SELECT position AS p FROM event_cursors WHERE name = $1', [name])).rows[0].p,
      ),
    );
  // Caught up first.
  while ((await position('nats')) < (await position('sequence'))) await sleep(100);
  await nats.stop();
  const paused = await api<{ id: string }>(aos.url, 'POST', '/agents', { name: 'relay-backlog' });
  await api(aos.url, 'POST', `/agents/${paused.id}/pause`);
  await load(
    aos.url,
    { method: 'POST', path: `/agents/${paused.id}/goals`, body: JSON.stringify({ goal: 'relay me' }) },
    5,
  );
  await api(aos.url, 'POST', `/agents/${paused.id}/stop`);
  await sleep(1_000);
  const [from, target] = [await position('nats'), await position('sequence')];
  const started = performance.now();
  await nats.start();
  while ((await position('nats')) < target) await sleep(20);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `NATS relay  ${((target - from) / seconds).toFixed(0)} events/s  (${target - from} events backlogged during an ` +
      `outage, relayed in ${seconds.toFixed(1)} s after nats-server restarted, reconnect included)`,
  );
}
