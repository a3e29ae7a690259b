// Separate bundles (style lesson 4): the extension (vscode external) with its language
// client and engine as bundles of their own loaded after activation, the language server
// (never references vscode), the CLI, a lean managed-jobs controller, and one bundle per
// provider, required by path on first use (engine/infra/registry.ts) so cloud SDKs are
// never in, nor evaluated by, the other bundles.
import * as fs from 'node:fs';
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
// Object stores likewise (engine/storage/stores/index.ts): dist/stores/<store>.js, each with its SDK.
const stores = ['s3', 'gcs', 'azure'];

const builds = [
  // The extension bundle is minified (names kept) to stay well under 1 MB with the language
  // client; the engine it drives in-process is its own lazily required bundle.
  { ...common, entryPoints: { extension: 'extension/main.ts' }, outdir: 'dist', external: ['vscode'], minify: true, keepNames: true },
  { ...common, entryPoints: { 'extension-engine': 'extension/engine/bundle.ts' }, outdir: 'dist', external: nativeExternals },
  // The language client, loaded right after activation (extension/main.ts loadClientModule).
  { ...common, entryPoints: { 'extension-client': 'extension/client.ts' }, outdir: 'dist', external: ['vscode'], minify: true, keepNames: true },
  // The language server starts on every YAML file a user opens: minified (names kept) so there is
  // less to read and compile; its catalog insights are a bundle of their own, required by path after
  // the first diagnostics (server/main.ts). dist/server.js is the small loader that starts it through
  // V8's code cache (server/boot.ts).
  { ...common, entryPoints: { 'server-main': 'server/main.ts' }, outdir: 'dist', minify: true, keepNames: true },
  { ...common, entryPoints: { server: 'server/boot.ts' }, outdir: 'dist', minify: true, keepNames: true },
  { ...common, entryPoints: { 'server-insights': 'engine/optimizer/insights.ts' }, outdir: 'dist' },
  // `skydeck`: a small entry, minified (names kept) because its parse is on every command's
  // path, that answers a plain `status` itself and loads the full CLI for everything else
  // (engine/cli/entry.ts).
  { ...common, entryPoints: { cli: 'engine/cli/entry.ts' }, outdir: 'dist', external: nativeExternals, minify: true, keepNames: true },
  { ...common, entryPoints: { 'cli-full': 'engine/cli/main.ts' }, outdir: 'dist', external: nativeExternals },
  // Managed-job controllers are long-lived detached processes: a lean bundle of their own
  // (engine/jobs/spawn.ts), minified (names kept, for the stacks in controller logs) because
  // each process holds its source: 630 -> 310 KB, -0.5 MB RSS per controller.
  { ...common, entryPoints: { 'jobs-controller': 'engine/jobs/controllerEntry.ts' }, outdir: 'dist', external: nativeExternals, minify: true, keepNames: true },
  {
    ...common,
    entryPoints: Object.fromEntries(providers.map((p) => [p, `engine/infra/${p}/index.ts`])),
    outdir: 'dist/providers',
    external: nativeExternals,
  },
  { ...common, entryPoints: Object.fromEntries(stores.map((s) => [s, `engine/storage/stores/${s}.ts`])), outdir: 'dist/stores' },
];

// The on-node agent is a bash script the engine installs on nodes; the bundles find it at
// dist/agent.sh (engine/node/agent/script.ts), which is also what the .vsix ships.
fs.mkdirSync('dist', { recursive: true });
fs.copyFileSync('engine/node/agent/agent.sh', 'dist/agent.sh');

if (watch) {
  for (const b of builds) (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
}
