import { VARIABLES, VariableSpec } from './variables';

/** Where README.md's configuration table starts and ends (written by `npm run config:docs`). */
export const TABLE_START = '<!-- variables:start (npm run config:docs writes this table) -->';
export const TABLE_END = '<!-- variables:end -->';

/** A variable's default as the docs show it: its value, or what the declaration says instead. */
function shownDefault(spec: VariableSpec): string {
  if (spec.shown) return spec.shown;
  return 'default' in spec && spec.default !== undefined ? `\`${String(spec.default)}\`` : 'unset';
}

/** The rows of the README table: name, default, meaning. */
export function tableRows(): [string, string, string][] {
  return (Object.entries(VARIABLES) as [string, VariableSpec][]).map(([name, spec]) => [
    `\`${name}\``,
    shownDefault(spec),
    spec.doc,
  ]);
}

/** The README table (prettier aligns its columns). */
export function configTable(): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(['Variable', 'Default', 'Meaning']), line(['---', '---', '---']), ...tableRows().map(line)].join('\n');
}

/** The cells of the table rows found between the markers of a README (padding ignored). */
export function readmeRows(readme: string): string[][] {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) return [];
  return readme
    .slice(start + TABLE_START.length, end)
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

/** README.md with its table replaced by the one the declarations give. */
export function withTable(readme: string): string {
  const start = readme.indexOf(TABLE_START);
  const end = readme.indexOf(TABLE_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${TABLE_START} … ${TABLE_END} block`);
  return `${readme.slice(0, start + TABLE_START.length)}\n\n${configTable()}\n\n${readme.slice(end)}`;
}

/** `.env.example`: every variable, commented out at its default, with its meaning. */
export function envExample(): string {
  const lines = [
    '# Copy to .env and adjust: `./aos start`, `npm start` and the migration CLI read .env from the',
    '# working directory; a variable set in the real environment wins. Every variable is optional in',
    '# development. Written by `npm run config:docs` from src/config/variables.ts.',
  ];
  for (const [name, spec] of Object.entries(VARIABLES) as [string, VariableSpec][]) {
    const value = 'default' in spec && spec.default !== undefined ? String(spec.default) : '';
    lines.push(
      '',
      `# ${plain(spec.doc)}`,
      ...(spec.shown ? [`# Default: ${plain(spec.shown)}.`] : []),
      `# ${name}=${value}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Markdown made plain for a comment line. */
function plain(text: string): string {
  return text.replace(/\*\*|`/g, '');
}
