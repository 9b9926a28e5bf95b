import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ConfigError, parseSecretKey } from './app-config';

/**
 * The key that seals connection secrets. Set: AOS_SECRET_KEY. Unset in production: none (creating
 * a connection is refused until it is set, and a start with sealed secrets stops). Unset elsewhere:
 * read from, or generated into, `AOS_DATA_DIR/secret-key` (mode 600), like the development API key.
 */
export async function resolveSecretKey(config: {
  secrets: { key: Buffer | undefined };
  isProduction: boolean;
  dataDir: string;
}): Promise<Buffer | undefined> {
  if (config.secrets.key !== undefined || config.isProduction) return config.secrets.key;
  const file = resolve(config.dataDir, 'secret-key');
  if (existsSync(file)) {
    try {
      return parseSecretKey((await readFile(file, 'utf8')).trim(), file);
    } catch (error) {
      throw new ConfigError(`${(error as Error).message}; delete it only if no connection secret was sealed with it`);
    }
  }
  const key = randomBytes(32);
  await mkdir(resolve(config.dataDir), { recursive: true, mode: 0o700 });
  // Unlike the API key, nobody needs to read it: it is kept, not announced.
  await writeFile(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  return key;
}
