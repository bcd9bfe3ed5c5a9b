// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'bench/results/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'off',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // CommonJS that any Node.js runs: bin/check-node.cjs (preloaded with --require), scripts/complete-install.cjs
    files: ['**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Only config/ reads the environment (house style 6); harness and benchmarks are tools, not product.
    files: ['src/**/*.ts'],
    ignores: ['src/config/**', 'src/cli/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read environment variables in src/config only.' },
      ],
    },
  },
  {
    // An ES import of node:http reads its WebSocket getters, which load Node's bundled undici (about
    // 10 MB of memory); undici itself is loaded only by the first HTTP alert (docs/deploy.md, Memory).
    files: ['src/**/*.ts'],
    ignores: ['src/http/console/web/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'node:http',
              allowTypeImports: true,
              message: "Use process.getBuiltinModule('node:http'): importing it loads Node's bundled undici.",
            },
            {
              name: 'node:https',
              allowTypeImports: true,
              message: "Use process.getBuiltinModule('node:https'), and only when TLS is needed.",
            },
            {
              name: 'undici',
              allowTypeImports: true,
              message: "Load undici with import('undici') when a request needs it (src/alerters/http.ts).",
            },
          ],
        },
      ],
    },
  },
);
