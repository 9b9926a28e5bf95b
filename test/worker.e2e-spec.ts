import { Client } from 'pg';
import { eventually } from './support/target-server';
import { startTestApp, TestApp } from './support/test-app';
import { adminUrl, dropTestDatabase } from './support/test-database';

async function listenConnections(database: string): Promise<number[]> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE application_name = 'aos-listen' AND datname = $1`,
      [database],
    );
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

async function terminate(pids: number[]): Promise<void> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
  } finally {
    await client.end();
  }
}

describe('run worker notifications', () => {
  let t: TestApp;
  beforeAll(async () => {
    // A poll of a minute: pickup within it can only come from NOTIFY.
    t = await startTestApp({ AOS_WORKER_POLL_MS: '60000' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('reconnects its LISTEN connection after it drops, and pickup by NOTIFY works again', async () => {
    const before = await listenConnections(t.databaseName);
    expect(before).toHaveLength(1);
    await terminate(before);
    // LISTEN retries start after min(poll interval, 1 s), so it is back within seconds.
    const after = await eventually(
      () => listenConnections(t.databaseName),
      (pids) => pids.length === 1 && pids[0] !== before[0],
      10_000,
    );
    expect(after).toHaveLength(1);
    const agent = (await t.request({ method: 'POST', url: '/agents', payload: { name: 'notified' } })).json().id;
    const run = (await t.request({ method: 'POST', url: `/agents/${agent}/goals`, payload: { goal: 'note' } })).json()
      .run_id;
    await eventually(
      async () => (await t.request({ method: 'GET', url: `/agents/${agent}/runs/${run}` })).json().status,
      (s) => s === 'completed',
      5_000,
    );
  });
});

describe('run worker shutdown', () => {
  it('closing while its LISTEN connection is being re-established leaves no connection or timer behind', async () => {
    const t = await startTestApp({ AOS_WORKER_POLL_MS: '300' });
    try {
      await terminate(await listenConnections(t.databaseName));
      // Close inside the reconnect delay, then wait well past it.
      await t.server.close();
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await listenConnections(t.databaseName)).toEqual([]);
    } finally {
      await dropTestDatabase(t.databaseName);
    }
  });
});
