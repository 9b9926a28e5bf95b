import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { buildDataSourceOptions } from './data-source-options';
import { EmbeddedPostgresServer } from './embedded-postgres.server';

/**
 * Entry point for the TypeORM CLI (`npm run migration:*`). Reads the same environment as the app:
 * DATABASE_URL when set, else the embedded PostgreSQL in AOS_DATA_DIR (stopped when the CLI exits).
 */
async function createCliDataSource(): Promise<DataSource> {
  const config = loadConfig();
  let url = config.databaseUrl;
  if (url === undefined) {
    url = await new EmbeddedPostgresServer({ dataDir: config.dataDir, port: config.embeddedPostgresPort }).start();
  }
  return new DataSource(buildDataSourceOptions({ url, poolSize: 2, applicationName: 'aos-migrations' }));
}

export const cliDataSource = createCliDataSource();
