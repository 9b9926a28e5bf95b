import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      '.tools/',
      'coverage/',
      '*.js',
      '*.mjs',
      'test/support/*.js',
      'packages/client/dist/',
      'packages/client/src/generated/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  prettier,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Nest modules are classes with only static members by design.
      '@typescript-eslint/no-extraneous-class': 'off',
      // Architecture (docs/architecture.md §2): dependencies point one way; nothing imports the runs module
      // except the app module, and domain modules never import the app wiring.
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/app.module', '**/bootstrap'], message: 'Only main.ts and tests wire the app.' }] },
      ],
    },
  },
  {
    // docs/architecture.md §2: runs may use agents, planner, skills, memory and provenance; nothing
    // depends on runs (the wiring in app.module and the entity list excepted).
    files: ['src/**/*.ts'],
    ignores: [
      'src/runs/**',
      'src/app.module.ts',
      'src/database/data-source-options.ts',
      'src/main.ts',
      'src/bootstrap.ts',
      'src/openapi/openapi.cli.ts',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/app.module', '**/bootstrap'], message: 'Only main.ts and tests wire the app.' },
            {
              group: ['**/runs/*', '../runs', './runs'],
              message: 'Nothing depends on the runs module (docs/architecture.md §2).',
            },
            {
              group: ['**/webhooks/*'],
              message: 'Nothing depends on the webhooks module (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    // docs/architecture.md §2 and §7: the event log is a leaf every domain module appends through;
    // only its routes (EventsApiModule) look at agents.
    files: ['src/events/**/*.ts'],
    ignores: ['src/events/events-api.module.ts', 'src/events/events.controller.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/app.module', '**/bootstrap'], message: 'Only main.ts and tests wire the app.' },
            {
              group: [
                '**/agents/*',
                '**/runs/*',
                '**/memory/*',
                '**/provenance/*',
                '**/skills/*',
                '**/models/*',
                '**/planner/*',
                '**/webhooks/*',
              ],
              message: 'The events module depends on no domain module (docs/architecture.md §2).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      'no-restricted-imports': 'off',
    },
  },
  {
    files: ['src/main.ts', 'src/bootstrap.ts', 'src/openapi/openapi.cli.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
