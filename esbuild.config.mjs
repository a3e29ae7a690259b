// Builds three separate bundles (style lesson 4): the extension (vscode external),
// the language server (never references vscode) and the CLI. Heavy cloud SDKs are
// pulled in with dynamic import() inside their providers; with splitting off in CJS
// they still only evaluate on first use, because esbuild keeps import() lazy.
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const common = {
  define: { SKYDECK_BUNDLED: 'true' },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: !production,
  minify: production,
  // Errors are recognised by class name across bundles (isProvisionError, SkyDeckError.name):
  // minified names would break that, so keep them.
  keepNames: true,
  logLevel: 'warning',
  legalComments: 'none',
};

// Providers are separate bundles, loaded by path at first use (engine/infra/registry.ts),
// so the extension, server and CLI bundles stay small and SDK-free.
const providers = ['local', 'ssh', 'kubernetes', 'aws', 'gcp', 'azure'];
const nativeExternals = ['cpu-features', './crypto/build/Release/sshcrypto.node'];

const builds = [
  // The extension bundle is minified (names kept) to stay well under 1 MB with the language
  // client; the engine it drives in-process is its own lazily required bundle.
  { ...common, entryPoints: { extension: 'extension/main.ts' }, outdir: 'dist', external: ['vscode'], minify: true, keepNames: true },
  { ...common, entryPoints: { 'extension-engine': 'extension/engine/bundle.ts' }, outdir: 'dist', external: nativeExternals },
  { ...common, entryPoints: { server: 'server/main.ts' }, outdir: 'dist' },
  { ...common, entryPoints: { cli: 'engine/cli/main.ts' }, outdir: 'dist', external: nativeExternals },
  // Managed-job controllers are long-lived detached processes: a lean bundle of their own (engine/jobs/spawn.ts).
  { ...common, entryPoints: { 'jobs-controller': 'engine/jobs/controllerEntry.ts' }, outdir: 'dist', external: nativeExternals },
  {
    ...common,
    entryPoints: Object.fromEntries(providers.map((p) => [p, `engine/infra/${p}/index.ts`])),
    outdir: 'dist/providers',
    external: nativeExternals,
  },
];

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
