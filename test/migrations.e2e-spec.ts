import { DataSource } from 'typeorm';
import { ALL_MIGRATIONS } from '../migrations';
import { buildDataSourceOptions } from '../src/database/data-source-options';
import { createTestDatabase, dropTestDatabase } from './support/test-database';

describe('migrations', () => {
  let database: { name: string; url: string };
  let dataSource: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase('aos_migrations');
    dataSource = await new DataSource(buildDataSourceOptions({ url: database.url, poolSize: 2 })).initialize();
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

  it('apply on an empty database and leave nothing for the entities to change', async () => {
    const applied = await dataSource.runMigrations();
    expect(applied).toHaveLength(ALL_MIGRATIONS.length);
    expect(await tables()).toEqual(expect.arrayContaining(['agents', 'memories', 'provenance']));
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
    expect(await tables()).toEqual(expect.arrayContaining(['agents', 'memories', 'provenance']));
  });

  it('the taint migration keeps every memory and makes the stored skill_result ones untrusted', async () => {
    for (let i = 0; i < ALL_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
    const taint = ALL_MIGRATIONS.findIndex((m) => m.name === 'Taint1764720000000');
    // The schema before it, filled as it was.
    const before = await new DataSource({
      ...buildDataSourceOptions({ url: database.url, poolSize: 2 }),
      migrations: ALL_MIGRATIONS.slice(0, taint),
    }).initialize();
    await before.runMigrations();
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
});
