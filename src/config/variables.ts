import { parseOne, type ValueOf, type VariableSpec } from './variable-spec';
import { IDENTITY_VARIABLES } from './variables-identity';
import { INTEGRATION_VARIABLES } from './variables-integrations';
import { SERVICE_VARIABLES } from './variables-service';

export type { VariableSpec } from './variable-spec';
export type { LogLevel, NodeEnv } from './variable-values';

/**
 * Every environment variable AOS reads, declared once: its type, bounds, default and meaning. The
 * typed values (`Variables`), the README's configuration table and `.env.example` all come from
 * here (`npm run config:docs` writes the two files; a unit test checks they agree).
 */
export const VARIABLES = { ...SERVICE_VARIABLES, ...IDENTITY_VARIABLES, ...INTEGRATION_VARIABLES };

export type VariableName = keyof typeof VARIABLES;

/** The variables as parsed: those with a default always have a value. */
export type Variables = {
  readonly [K in VariableName]: (typeof VARIABLES)[K] extends { default: unknown }
    ? ValueOf<(typeof VARIABLES)[K]>
    : ValueOf<(typeof VARIABLES)[K]> | undefined;
};

/** Every variable parsed and checked against its declaration; the problems, each naming its variable. */
export function parseVariables(env: NodeJS.ProcessEnv): { variables: Variables; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, spec] of Object.entries(VARIABLES) as [string, VariableSpec][]) {
    const parsed = parseOne(name, spec, env[name]);
    if ('problem' in parsed) problems.push(parsed.problem);
    else values[name] = parsed.value;
  }
  return { variables: values as Variables, problems };
}
