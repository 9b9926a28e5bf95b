import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { envExample, withTable } from './variables-docs';

/** `npm run config:docs`: the README's configuration table and .env.example, from the declarations. */
const root = resolve(__dirname, '../../..');
const readme = resolve(root, 'README.md');
writeFileSync(readme, withTable(readFileSync(readme, 'utf8')));
writeFileSync(resolve(root, '.env.example'), envExample());
process.stdout.write('wrote README.md (configuration table) and .env.example\n');
