import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** The project root: where package.json is, whether we run from src/ (tests) or dist/src/ (build). */
export function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(resolve(dir, 'package.json')) && resolve(dir, '..') !== dir) dir = resolve(dir, '..');
  return dir;
}

export interface PackageInfo {
  name: string;
  version: string;
}

let cached: PackageInfo | undefined;

export function packageInfo(): PackageInfo {
  cached ??= JSON.parse(readFileSync(resolve(projectRoot(), 'package.json'), 'utf8')) as PackageInfo;
  return cached;
}
