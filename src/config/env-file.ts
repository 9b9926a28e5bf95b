import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';

/**
 * The environment with the variables of `.env` (in the working directory) added underneath:
 * a variable set in the real environment always wins over the file. Without the file, the
 * environment as it is.
 */
export function withEnvFile(env: NodeJS.ProcessEnv, path = resolve('.env')): NodeJS.ProcessEnv {
  if (!existsSync(path)) return env;
  return { ...parseEnv(readFileSync(path, 'utf8')), ...env };
}
