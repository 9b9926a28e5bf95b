import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { envExample, readmeRows, tableRows } from './variables-docs';
import { parseVariables, VARIABLES } from './variables';

const root = resolve(__dirname, '../..');

describe('the variables are declared once', () => {
  it('README.md lists each, with its default and meaning, as declared (npm run config:docs)', () => {
    const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
    expect(readmeRows(readme)).toEqual(tableRows());
  });

  it('.env.example is the one the declarations give (npm run config:docs)', () => {
    expect(readFileSync(resolve(root, '.env.example'), 'utf8')).toBe(envExample());
  });

  it('every declared default is a value its own declaration accepts', () => {
    const env = Object.fromEntries(
      Object.entries(VARIABLES)
        .filter(([, spec]) => 'default' in spec)
        .map(([name, spec]) => [name, String((spec as { default: unknown }).default)]),
    );
    expect(parseVariables(env).problems).toEqual([]);
  });

  it('nothing else reads the environment for these names', () => {
    expect(Object.keys(VARIABLES)).toHaveLength(new Set(Object.keys(VARIABLES)).size);
  });
});
