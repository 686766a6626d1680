import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', '.test-tmp/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only server/src/main.ts reads process.env.',
        },
      ],
    },
  },
  {
    // One job per file: no source file over 400 lines (split by job, see docs/architecture.md).
    files: ['**/*.ts', '**/*.tsx', '**/*.mjs'],
    rules: { 'max-lines': ['error', { max: 400 }] },
  },
  {
    files: ['server/src/main.ts', 'server/test/**', 'scripts/**', 'bench/**', '**/*.test.ts', '**/vite.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The dashboard's browser tests start servers and read their settings from the environment.
    files: ['dashboard/e2e/**', 'dashboard/playwright.config.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    // The example apps are configured through their environment, like any app built on Hearth.
    files: ['examples/**'],
    rules: { 'no-restricted-syntax': 'off' },
    languageOptions: { globals: { fetch: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' } },
  },
  {
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['**/*.mjs', 'scripts/**', 'bench/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
