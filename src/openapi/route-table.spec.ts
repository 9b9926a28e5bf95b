import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/**
 * The (method, path) pairs README's "API at a glance" table names: each path in full, or as
 * `…/tail` of the full one before it in its cell (the tail replaces its last segment).
 */
function documentedRoutes(readme: string): Set<string> {
  const section = readme.slice(readme.indexOf('## API at a glance'), readme.indexOf('**Errors**'));
  const routes = new Set<string>();
  for (const line of section.split('\n')) {
    const cells = line.split(' | ').map((c) => c.replace(/^\|\s*/, '').trim());
    if (cells.length < 3 || !cells[1].startsWith('`')) continue;
    const methods = cells[0].split(',').map((m) => m.trim().toLowerCase());
    let base = '';
    for (const entry of cells[1].split(', ').map((p) => p.replace(/`/g, '').trim())) {
      const path = entry.startsWith('…/') ? `${base.slice(0, base.lastIndexOf('/'))}${entry.slice(1)}` : entry;
      if (!entry.startsWith('…/')) base = entry;
      for (const method of methods) routes.add(`${method} ${path}`);
    }
  }
  return routes;
}

describe("README's route table", () => {
  it('names every route the OpenAPI document serves', () => {
    const doc = JSON.parse(readFileSync(resolve(root, 'openapi.json'), 'utf8')) as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => METHODS.includes(m))
        .map((m) => `${m} ${path}`),
    );
    const documented = documentedRoutes(readFileSync(resolve(root, 'README.md'), 'utf8'));
    expect(served.filter((route) => !documented.has(route))).toEqual([]);
  });
});
