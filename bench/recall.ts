/**
 * Recall benchmark: one agent's memories (1M by default, BENCH_MEMORIES), texts of eight words
 * drawn from a Zipf-like vocabulary of 5,000 (a few words are in a good share of all texts, most
 * in very few), seeded in bulk with a fixed seed. Latency from one client over a fixed query set
 * (common, middling and rare words, two-word queries, a filter), and the ranking's quality: the
 * top 10 the API answers against the top 10 of ranking every match (ts_rank over all of them),
 * query by query.
 */
import type { Client } from 'pg';
import { api, load, withClient } from './support';

const VOCABULARY = 5_000;
const WORDS_PER_TEXT = 8;
/**
 * The most frequent words are English stop words, as in real text: the index drops them, so the
 * most common word a query can name is in about 2 % of the texts (about 18k of 1M).
 */
const STOP_WORDS = (
  'the of and to a in is it you that he was for on are with as his they be at one have this from ' +
  'or had by not but what some we can out other were all there when up use'
).split(' ');

/** The vocabulary's n-th word (1-based), as the seeding SQL spells it. */
const word = (n: number) => (n <= STOP_WORDS.length ? STOP_WORDS[n - 1] : `w${n}x`);

/** The first word a query can name: the most common one the index keeps. */
const S = STOP_WORDS.length;

/** What each query is, and its URL query string. */
const QUERIES: { kind: string; query: string }[] = [
  ...[1, 2, 5, 10, 20].map((n) => ({ kind: 'common', query: word(S + n) })),
  ...[120, 200, 300, 450, 700].map((n) => ({ kind: 'middling', query: word(n) })),
  ...[1500, 2500, 3300, 4100, 4900].map((n) => ({ kind: 'rare', query: word(n) })),
  ...[
    [S + 1, S + 2],
    [S + 3, 120],
    [S + 5, 900],
    [200, 2500],
  ].map(([a, b]) => ({ kind: 'two words', query: `${word(a)} ${word(b)}` })),
];

/** Ranks every match, as recall did before its candidate set was bounded: the reference top 10. */
async function referenceTop10(c: Client, agentId: string, query: string): Promise<string[]> {
  const { rows } = await c.query<{ id: string }>(
    `SELECT m.id FROM memories m, websearch_to_tsquery('english', $2) q
      WHERE m.agent_id = $1 AND m.search @@ q
      ORDER BY ts_rank(m.search, q) DESC, m.created_at DESC, m.id DESC LIMIT 10`,
    [agentId, query],
  );
  return rows.map((r) => r.id);
}

export async function benchRecall(aosUrl: string, dbUrl: string, durationS: number): Promise<void> {
  const agent = await api<{ id: string }>(aosUrl, 'POST', '/agents', { name: 'bench-memory', planner: 'rule-based' });
  const count = Number(process.env.BENCH_MEMORIES ?? 1_000_000);
  const started = Date.now();
  await withClient(dbUrl, async (c) => {
    await c.query('SELECT setseed(0.42)');
    // Word n has probability ∝ 1/n (Zipf, s = 1): ⌊V^u⌋ for a uniform u.
    await c.query(
      `INSERT INTO memories (agent_id, memory_type, text, created_at)
       SELECT $1, 'skill_result',
              (SELECT string_agg(CASE WHEN r <= cardinality($5::text[]) THEN ($5::text[])[r] ELSE 'w' || r || 'x' END, ' ')
                 FROM (SELECT floor(power($3::float8, random()))::int AS r
                         FROM generate_series(1, $4::int) k WHERE k > 0 * i) words),
              now() - (i || ' seconds')::interval
         FROM generate_series(1, $2::int) AS i`,
      [agent.id, count, VOCABULARY, WORDS_PER_TEXT, STOP_WORDS],
    );
    await c.query('VACUUM ANALYZE memories');
    await c.query('CHECKPOINT').catch(() => undefined);
  });
  const matches = await withClient(dbUrl, async (c) => {
    const counts: number[] = [];
    for (const q of QUERIES) {
      const { rows } = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM memories m WHERE m.agent_id = $1 AND m.search @@ websearch_to_tsquery('english', $2)`,
        [agent.id, q.query],
      );
      counts.push(rows[0].n);
    }
    return counts;
  });
  console.log(
    `seeded ${count} memories (Zipf vocabulary of ${VOCABULARY}) in ${((Date.now() - started) / 1000).toFixed(0)} s; ` +
      `matches per query: common ${matches.slice(0, 5).join('/')}, rare ${matches.slice(10, 15).join('/')}`,
  );

  let n = 0;
  const paths = [...QUERIES.map((q) => `query=${encodeURIComponent(q.query)}`), 'memory_type=skill_result'].map(
    (q) => `/agents/${agent.id}/recall?limit=10&${q}`,
  );
  const recall = await load(
    aosUrl,
    { method: 'GET', setupRequest: (r) => ({ ...r, path: paths[n++ % paths.length] }) },
    durationS,
    1,
  );
  console.log(
    `GET /agents/{id}/recall  ${recall.rps.toFixed(0).padStart(7)} req/s  p50 ${recall.p50} ms  p99 ${recall.p99} ms ` +
      `(target p99 < 40 ms; ${count} memories, one client)` +
      (recall.errors ? `  errors: ${recall.errors}` : ''),
  );

  // Quality: the API's top 10 against ranking every match.
  const overlaps = await withClient(dbUrl, async (c) => {
    const byKind = new Map<string, number[]>();
    for (const q of QUERIES) {
      const reference = await referenceTop10(c, agent.id, q.query);
      const served = (
        await api<{ items: { id: string }[] }>(
          aosUrl,
          'GET',
          `/agents/${agent.id}/recall?limit=10&query=${encodeURIComponent(q.query)}`,
        )
      ).items.map((i) => i.id);
      // No match either way is the same answer.
      const same =
        reference.length === 0
          ? Number(served.length === 0)
          : reference.filter((id) => served.includes(id)).length / reference.length;
      byKind.set(q.kind, [...(byKind.get(q.kind) ?? []), same]);
    }
    return byKind;
  });
  const all = [...overlaps.values()].flat();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(
    `      top-10 overlap with ranking every match: ${(mean(all) * 100).toFixed(0)} % over ${all.length} queries (` +
      [...overlaps].map(([kind, xs]) => `${kind} ${(mean(xs) * 100).toFixed(0)} %`).join(', ') +
      ')',
  );
}
