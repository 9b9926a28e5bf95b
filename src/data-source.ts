import { DataSource } from 'typeorm';
import { ALL_ENTITIES } from './entities';
import { loadConfig } from './config/app-config';
import { withEnvFile } from './config/env-file';
import { buildDataSourceOptions } from './database/data-source-options';
import { EmbeddedPostgresServer } from './database/embedded/server';

/**
 * Entry point for the TypeORM CLI (`npm run migration:*`). Reads the same environment as the app
 * (`.env` included):
 * DATABASE_URL when set, else the embedded PostgreSQL in AOS_DATA_DIR (stopped when the CLI exits).
 */
async function createCliDataSource(): Promise<DataSource> {
  const config = loadConfig(withEnvFile(process.env));
  let url = config.databaseUrl;
  if (url === undefined) {
    url = await new EmbeddedPostgresServer({
      dataDir: config.dataDir,
      port: config.embeddedPostgresPort,
      runtimeDir: config.embeddedPostgresRuntimeDir,
    }).start();
  }
  return new DataSource(
    buildDataSourceOptions({ url, entities: ALL_ENTITIES, poolSize: 2, applicationName: 'aos-migrations' }),
  );
}

export const cliDataSource = createCliDataSource();
