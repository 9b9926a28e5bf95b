import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CROSS_TENANT_TASKS } from './db-scope';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

describe('cross-tenant work', () => {
  it('goes through crossTenant() with one of the listed tasks, and every listed task is used', () => {
    const used = new Map<string, string[]>();
    for (const file of sources(join(__dirname, '..'))) {
      for (const [, task] of readFileSync(file, 'utf8').matchAll(/crossTenant\(\s*'([a-z-]+)'/g)) {
        used.set(task, [...(used.get(task) ?? []), file.slice(file.indexOf('src/'))]);
      }
    }
    expect([...used.keys()].sort()).toEqual([...CROSS_TENANT_TASKS].sort());
  });
});
