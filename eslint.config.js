// Lint: typescript-eslint's type-checked rules rather than neostandard. An auth gateway is async code end to end,
// and the bugs that hurt it (a floating promise in a hook, a promise passed where a callback is expected, an `any`
// leaking out of a JWT payload) are only visible to rules that read the types. Formatting stays minimal.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import layers from './scripts/lint/layers.mjs'

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'test/artifacts/**', '**/*.d.mts', 'coverage/**', '.tap/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.mjs', 'test/*.mjs', 'test/*/*.mjs', 'scripts/*.mjs', 'apps/*/bin/*.js'] }, tsconfigRootDir: import.meta.dirname },
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', Buffer: 'readonly', fetch: 'readonly', AbortController: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', structuredClone: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' }
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      'no-console': ['error', { allow: ['error', 'warn'] }]
    }
  },
  {
    // The plugin's sources import down their layers only (scripts/lint/layers.mjs), and the gateway and the client
    // reach the plugin through its published entries, never through its files.
    files: ['packages/auth/src/**/*.ts'],
    plugins: { authgate: layers },
    rules: { 'authgate/layers': 'error' }
  },
  {
    files: ['apps/*/src/**/*.ts', 'packages/client/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: ['**/packages/auth/**', '@authgate/fastify/src/**', '@authgate/fastify/dist/**'], message: 'import @authgate/fastify through its published entries' }] }] }
  },
  {
    // Plain-JS tooling (test runner, database harness, scripts): no type information to lint against.
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
    rules: { ...tseslint.configs.disableTypeChecked.rules, 'no-console': 'off' }
  },
  {
    // Tests assert on loosely shaped JSON bodies; requiring a type for each would add noise, not safety.
    // tap's t.test() returns a promise that tap itself tracks, so top-level calls are not floating.
    files: ['**/test/**/*.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off'
    }
  }
)
