import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppModule } from '../app.module';
import { loadConfig } from '../config/app-config';
import { packageInfo, projectRoot } from '../config/package-info';
import { buildOpenApiDocument } from './openapi';

/** Path of the checked-in copy that generated clients are built from. */
export const OPENAPI_FILE = resolve(projectRoot(), 'openapi.json');

/**
 * The document without a database: Nest's preview mode resolves the module graph and routes
 * but instantiates no provider, so nothing connects anywhere.
 */
export async function generateOpenApiJson(): Promise<string> {
  const config = { ...loadConfig({}), apiKey: 'preview', apiKeySource: 'environment' as const };
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ config, databaseUrl: 'postgresql://preview@127.0.0.1:1/preview', embedded: null }),
    new FastifyAdapter(),
    { preview: true, logger: false },
  );
  const document = buildOpenApiDocument(app, packageInfo().version);
  await app.close();
  return `${JSON.stringify(document, null, 2)}\n`;
}

async function main(mode: string | undefined): Promise<void> {
  const generated = await generateOpenApiJson();
  if (mode === 'write') {
    writeFileSync(OPENAPI_FILE, generated);
    process.stdout.write(`wrote ${OPENAPI_FILE}\n`);
    return;
  }
  if (mode === 'check') {
    let current = '';
    try {
      current = readFileSync(OPENAPI_FILE, 'utf8');
    } catch {
      // a missing file is stale too
    }
    if (current !== generated) {
      process.stderr.write('openapi.json is stale: run `npm run openapi:write` and commit it\n');
      process.exit(1);
    }
    process.stdout.write('openapi.json is up to date\n');
    return;
  }
  process.stderr.write('usage: openapi.cli.js write|check\n');
  process.exit(2);
}

if (require.main === module) {
  main(process.argv[2]).catch((error: unknown) => {
    process.stderr.write(`${String(error)}\n`);
    process.exit(1);
  });
}
