// Builds three separate bundles (style lesson 4): the extension (vscode external),
// the language server (never references vscode) and the CLI. Heavy cloud SDKs are
// pulled in with dynamic import() inside their providers; with splitting off in CJS
// they still only evaluate on first use, because esbuild keeps import() lazy.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  legalComments: 'none',
};

const builds = [
  { ...common, entryPoints: { extension: 'extension/main.ts' }, outdir: 'dist', external: ['vscode'] },
  { ...common, entryPoints: { server: 'server/main.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'engine/cli/main.ts' }, outdir: 'dist', external: ['cpu-features', './crypto/build/Release/sshcrypto.node'] },
];

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
