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
});
