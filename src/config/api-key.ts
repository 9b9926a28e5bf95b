import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { AppConfig } from './app-config';

type ApiKeyResolution = Pick<AppConfig, 'apiKey' | 'apiKeySource'>;

/**
 * Outside production a missing AOS_API_KEY is generated once, kept in AOS_DATA_DIR/dev-api-key
 * (mode 600) so it survives restarts, and printed to the terminal only when it is created.
 * `loadConfig` has already refused a missing key in production.
 */
export async function resolveApiKey(
  config: { apiKey: string | undefined; dataDir: string },
  print: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): Promise<ApiKeyResolution> {
  if (config.apiKey !== undefined) return { apiKey: config.apiKey, apiKeySource: 'environment' };
  const file = resolve(config.dataDir, 'dev-api-key');
  if (existsSync(file)) {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored) return { apiKey: stored, apiKeySource: 'data-dir' };
  }
  const apiKey = randomBytes(32).toString('base64url');
  await mkdir(resolve(config.dataDir), { recursive: true, mode: 0o700 });
  await writeFile(file, `${apiKey}\n`, { mode: 0o600 });
  print(`AOS_API_KEY is not set: generated a development key (saved in ${file}): ${apiKey}`);
  return { apiKey, apiKeySource: 'generated' };
}
