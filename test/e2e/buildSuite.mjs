// Builds the extension-host test suite (test/e2e/suite/index.ts, run inside VS Code by
// code-server's payload route or @vscode/test-electron) into out/test/e2e/suite.js.
// vscode and mocha stay external: the extension host provides vscode, mocha resolves
// from the repo's node_modules.
import * as esbuild from 'esbuild';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
await esbuild.build({
  entryPoints: [path.join(root, 'test/e2e/suite/index.ts')],
  outfile: path.join(root, 'out/test/e2e/suite.js'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha', ...['cpu-features', './crypto/build/Release/sshcrypto.node']],
  define: { SKYDECK_BUNDLED: 'false' },
  logLevel: 'warning',
});
