import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../migrations';
import { TENANT_TABLES } from '../migrations/1765065600000-Tenancy';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { ALL_ENTITIES } from '../src/entities';
import { createTestDatabase, dropTestDatabase } from './support/test-database';

describe('migrations', () => {
  let database: { name: string; url: string };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('aos_migrations');
    dataSource = await new DataSource(
      buildDataSourceOptions({ url: database.url, entities: ALL_ENTITIES, poolSize: 2 }),
    ).initialize();
  });
  afterAll(async () => {
    await dataSource.destroy();
    await dropTestDatabase(database.name);
  });

  const tables = async () =>
    (
      await dataSource.query<{ table_name: string }[]>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name NOT LIKE 'typeorm_%' ORDER BY 1`,
      )
    ).map((r) => r.table_name);

  /** An empty database migrated up to (not including) the named migration: the schema before it. */
  const schemaBefore = async (migration: string): Promise<DataSource> => {
    for (let i = 0; i < ALL_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    const at = ALL_MIGRATIONS.findIndex((m) => m.name === migration);
    const before = await new DataSource({
      ...buildDataSourceOptions({ url: database.url, entities: ALL_ENTITIES, poolSize: 2 }),
      migrations: ALL_MIGRATIONS.slice(0, at),
    }).initialize();
    await before.runMigrations();
    return before;
  };

  it('apply on an empty database and leave nothing for the entities to change', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied).toHaveLength(ALL_MIGRATIONS.length);
    expect(await tables()).toEqual(expect.arrayContaining(['agents', 'memories', 'runs', 'tool_calls']));
    // The same check as `typeorm migration:generate`: entities and schema must not drift.
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('revert one by one back to an empty database, and apply again', async () => {
    for (let i = 0; i < ALL_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    expect(await tables()).toEqual([]);
    const types = await dataSource.query(
      `SELECT typname FROM pg_type WHERE typname IN ('agent_status', 'memory_type', 'run_status')`,
    );
    expect(types).toEqual([]);
    await dataSource.runMigrations();
    expect(await tables()).toEqual(expect.arrayContaining(['agents', 'memories', 'runs', 'tool_calls']));
  });

  it('the taint migration keeps every memory and makes the stored skill_result ones untrusted', async () => {
    // The schema before it, filled as it was.
    const before = await schemaBefore('Taint1764720000000');
    const [agent] = await before.query<{ id: string }[]>(`INSERT INTO agents (name) VALUES ('old') RETURNING id`);
    await before.query(
      `INSERT INTO memories (agent_id, memory_type, text) VALUES ($1, 'skill_result', 'a page'), ($1, 'user_input', 'mine'),
              ($1, 'run_result', 'an answer'), ($1, 'context', 'notes')`,
      [agent.id],
    );
    await before.destroy();
    await dataSource.runMigrations();
    const rows = await dataSource.query<{ memory_type: string; trusted: boolean }[]>(
      'SELECT memory_type, trusted FROM memories ORDER BY memory_type',
    );
    expect(rows).toEqual([
      { memory_type: 'skill_result', trusted: false },
      { memory_type: 'user_input', trusted: true },
      { memory_type: 'context', trusted: true },
      { memory_type: 'run_result', trusted: true },
    ]);
    const [old] = await dataSource.query('SELECT egress, egress_trusted, remember_tool_results FROM agents');
    expect(old).toEqual({ egress: null, egress_trusted: [], remember_tool_results: true });
  });

  it('the run-record migration moves provenance onto the runs, keeps every call and memory, and reverts', async () => {
    const before = await schemaBefore('RunRecord1764892800000');
    const at = ALL_MIGRATIONS.findIndex((m) => m.name === 'RunRecord1764892800000');
    // As the previous schema filled them: a provenance record per run (same id), its calls, a memory.
    const [agent] = await before.query<{ id: string }[]>(`INSERT INTO agents (name) VALUES ('old') RETURNING id`);
    const [done] = await before.query<{ id: string }[]>(
      `INSERT INTO provenance (agent_id, goal, planner, plan, status, error_message, completed_at)
       VALUES ($1, 'fetch it', 'rule-based@1', '[{"skill":"http_call","input":{"url":"https://x.org"}}]',
               'completed', NULL, now()) RETURNING id`,
      [agent.id],
    );
    const [waiting] = await before.query<{ id: string }[]>(
      `INSERT INTO provenance (agent_id, goal, status, error_message, completed_at)
       VALUES ($1, 'send it', 'cancelled', 'cancelled by request', now()) RETURNING id`,
      [agent.id],
    );
    for (const [id, goal, status] of [
      [done.id, 'fetch it', 'completed'],
      [waiting.id, 'send it', 'cancelled'],
    ]) {
      await before.query(
        `INSERT INTO runs (id, agent_id, goal, status, attempts, settings, completed_at)
         VALUES ($1, $2, $3, $4, 1, '{"planner":"rule-based","skills":null,"max_steps":8}', now())`,
        [id, agent.id, goal, status],
      );
    }
    await before.query(
      `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, completed_at, output)
       VALUES ($1, 0, 'http_call', '{"url":"https://x.org"}', 'succeeded', 1, now(), now(), '{"status":200}')`,
      [done.id],
    );
    await before.query(
      `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, approval_requested_at)
       VALUES ($1, 0, 'email_send', '{"to":"a@b.c"}', 'awaiting_approval', 0, now(), now())`,
      [waiting.id],
    );
    await before.query(
      `INSERT INTO model_calls (run_id, call_index, step, status, attempts, started_at) VALUES ($1, 0, 0, 'succeeded', 1, now())`,
      [done.id],
    );
    await before.query(
      `INSERT INTO memories (agent_id, run_id, step_index, memory_type, text) VALUES ($1, $2, 0, 'skill_result', 'a page')`,
      [agent.id, done.id],
    );
    await before.destroy();

    await dataSource.runMigrations();
    expect(await tables()).not.toContain('provenance');
    const runs = await dataSource.query(
      'SELECT id, goal, status, planner, plan, error_message, lease_epoch FROM runs ORDER BY goal',
    );
    expect(runs).toEqual([
      {
        id: done.id,
        goal: 'fetch it',
        status: 'completed',
        planner: 'rule-based@1',
        plan: [{ skill: 'http_call', input: { url: 'https://x.org' } }],
        error_message: null,
        lease_epoch: '0',
      },
      {
        id: waiting.id,
        goal: 'send it',
        status: 'cancelled',
        planner: null,
        plan: null,
        error_message: null,
        lease_epoch: '0',
      },
    ]);
    const calls = await dataSource.query('SELECT run_id, skill_id, status FROM tool_calls ORDER BY skill_id');
    expect(calls).toEqual([
      // Left waiting on a run that ended: closed with it.
      { run_id: waiting.id, skill_id: 'email_send', status: 'cancelled' },
      { run_id: done.id, skill_id: 'http_call', status: 'succeeded' },
    ]);
    expect(await dataSource.query('SELECT run_id FROM model_calls')).toEqual([{ run_id: done.id }]);
    expect(await dataSource.query('SELECT run_id FROM memories')).toEqual([{ run_id: done.id }]);
    // The calls and memories now belong to the run: deleting it takes them along, as deleting provenance did.
    const [fresh] = await dataSource.query<{ id: string }[]>(
      `INSERT INTO runs (tenant_id, agent_id, goal) SELECT tenant_id, id, 'a new one' FROM agents WHERE id = $1 RETURNING id`,
      [agent.id],
    );
    expect(fresh.id).toMatch(/^[0-9a-f-]{36}$/);

    // And back: provenance is rebuilt from the runs.
    await dataSource.query('DELETE FROM runs WHERE id = $1', [fresh.id]);
    for (let i = ALL_MIGRATIONS.length; i > at; i--) await dataSource.undoLastMigration();
    const restored = await dataSource.query(
      'SELECT id, goal, planner, status, error_message FROM provenance ORDER BY goal',
    );
    expect(restored).toEqual([
      { id: done.id, goal: 'fetch it', planner: 'rule-based@1', status: 'completed', error_message: null },
      { id: waiting.id, goal: 'send it', planner: null, status: 'cancelled', error_message: null },
    ]);
    await dataSource.runMigrations();
  });
  it('the tenancy migration moves every row into `default`, records the operator as their actor, and reverts', async () => {
    const before = await schemaBefore('Tenancy1765065600000');
    // As the previous schema filled them: an agent with a run, its calls, a memory, a webhook with a delivery, an event.
    const [agent] = await before.query<{ id: string }[]>(`INSERT INTO agents (name) VALUES ('old') RETURNING id`);
    const [run] = await before.query<{ id: string }[]>(
      `INSERT INTO runs (agent_id, goal, status) VALUES ($1, 'send it', 'waiting_approval') RETURNING id`,
      [agent.id],
    );
    await before.query(
      `INSERT INTO tool_calls (run_id, step_index, skill_id, input, status, attempts, started_at, approved_by)
       VALUES ($1, 0, 'email_send', '{}', 'approved', 0, now(), 'dana')`,
      [run.id],
    );
    await before.query(
      `INSERT INTO model_calls (run_id, call_index, step, status, attempts, started_at) VALUES ($1, 0, 0, 'succeeded', 1, now())`,
      [run.id],
    );
    await before.query(
      `INSERT INTO memories (agent_id, run_id, step_index, memory_type, text) VALUES ($1, $2, 0, 'user_input', 'kept')`,
      [agent.id, run.id],
    );
    await before.query(`INSERT INTO connections (agent_id, name, kind, settings) VALUES ($1, 'mail', 'smtp', '{}')`, [
      agent.id,
    ]);
    const [hook] = await before.query<{ id: string }[]>(
      `INSERT INTO webhooks (agent_id, url) VALUES ($1, 'https://example.com/h') RETURNING id`,
      [agent.id],
    );
    await before.query(
      `INSERT INTO events (agent_id, run_id, type, data, id) VALUES ($1, $2, 'run.created', '{}', 1)`,
      [agent.id, run.id],
    );
    await before.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type) VALUES ($1, 1, 'run.created')`,
      [hook.id],
    );
    await before.destroy();

    await dataSource.runMigrations();
    const [tenant] = await dataSource.query<{ id: string; slug: string }[]>('SELECT id, slug FROM tenants');
    expect(tenant.slug).toBe('default');
    // Every tenant table but api_keys, which is new.
    for (const table of TENANT_TABLES.filter((t) => t !== 'api_keys')) {
      const rows = await dataSource.query<{ tenant_id: string }[]>(`SELECT tenant_id FROM ${table}`);
      expect([table, rows]).toEqual([table, [{ tenant_id: tenant.id }]]);
    }
    const operator = { tenant_id: tenant.id, kind: 'operator', id: 'operator' };
    expect(await dataSource.query('SELECT created_by FROM agents')).toEqual([{ created_by: operator }]);
    expect(await dataSource.query('SELECT submitted_by FROM runs')).toEqual([{ submitted_by: operator }]);
    // The free note `by` moved beside the actor, which nobody recorded before.
    expect(await dataSource.query('SELECT answered_by_note, approved_by FROM tool_calls')).toEqual([
      { answered_by_note: 'dana', approved_by: null },
    ]);

    // Back over every migration since, then the tenancy one.
    while (
      (await dataSource.query<{ name: string }[]>('SELECT name FROM typeorm_migrations ORDER BY id DESC LIMIT 1'))[0]
        .name !== 'Tenancy1765065600000'
    ) {
      await dataSource.undoLastMigration();
    }
    await dataSource.undoLastMigration();
    expect(await tables()).not.toContain('tenants');
    expect(await dataSource.query('SELECT approved_by FROM tool_calls')).toEqual([{ approved_by: 'dana' }]);
    expect(await dataSource.query('SELECT count(*)::int AS n FROM memories')).toEqual([{ n: 1 }]);
    await dataSource.runMigrations();
  });
});
