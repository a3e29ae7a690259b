import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Import rules (docs/ARCHITECTURE.md), enforced here rather than by habit. ESLint replaces a rule's
// options per matching config block instead of merging them, so each block lists every
// restriction that applies to its files.
const noShellStrings = ['child_process', 'node:child_process'].map((name) => ({
  name,
  importNames: ['exec', 'execSync'],
  message: 'Use execFile/spawn with an argv array.',
}));
const PROVIDERS = ['local', 'ssh', 'kubernetes', 'aws', 'gcp', 'azure'];
// Each cloud SDK belongs to one provider and is loaded only through it (lazily, by the registry).
const SDKS = { aws: ['@aws-sdk/*'], gcp: ['@google-cloud/*'], azure: ['@azure/*'], kubernetes: ['@kubernetes/client-node'] };
const sdkPatterns = (except) =>
  Object.entries(SDKS)
    .filter(([p]) => p !== except)
    .map(([p, group]) => ({ group, message: `The ${p} SDK is imported only inside engine/infra/${p}/.` }));
const otherProviders = (p) => ({
  group: PROVIDERS.filter((q) => q !== p).flatMap((q) => [`../${q}`, `../${q}/**`, `**/infra/${q}`, `**/infra/${q}/**`]),
  message: 'Providers never import each other; shared helpers live in engine/vmShared/.',
});
const notTheEditor = { group: ['**/extension/**'], message: 'The engine and the server never import the extension.' };
const notTheServer = { group: ['**/server/**'], message: 'The engine never imports the language server.' };
const restrict = (paths, patterns) => ({ 'no-restricted-imports': ['error', { paths: [...noShellStrings, ...paths], patterns }] });

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.tools/**', 'test-artifacts/**', '.tmp/**', '.vscode-test/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        __dirname: 'readonly',
        require: 'readonly',
        module: 'writable',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
        URL: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      '@typescript-eslint/no-require-imports': 'off',
      ...restrict([], sdkPatterns()),
    },
  },
  // Tests may drive an SDK directly (e.g. to inspect what a fake cloud received).
  { files: ['test/**/*.ts', 'bench/**/*.ts'], rules: restrict([], []) },
  { files: ['server/**/*.ts'], rules: restrict(['vscode'], [notTheEditor, ...sdkPatterns()]) },
  { files: ['engine/**/*.ts'], rules: restrict(['vscode'], [notTheEditor, notTheServer, ...sdkPatterns()]) },
  ...PROVIDERS.map((p) => ({
    files: [`engine/infra/${p}/**/*.ts`],
    rules: restrict(['vscode'], [notTheEditor, notTheServer, otherProviders(p), ...sdkPatterns(p)]),
  })),
  // Each object store's file loads its cloud's SDK, lazily through engine/storage/stores/index.ts.
  ...Object.entries({ s3: 'aws', gcs: 'gcp', azure: 'azure' }).map(([store, cloud]) => ({
    files: [`engine/storage/stores/${store}.ts`],
    rules: restrict(['vscode'], [notTheEditor, notTheServer, ...sdkPatterns(cloud)]),
  })),
);
