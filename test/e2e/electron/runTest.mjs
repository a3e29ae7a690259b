// `npm run test:electron`: the same extension-host suite (out/test/e2e/suite.js, built by
// test/e2e/buildSuite.mjs) under desktop VS Code via @vscode/test-electron 2.5.2, for
// machines that can download VS Code. Here (no network beyond npm and apt) the download
// fails; we say so plainly and exit 1. CI uses the code-server runner
// (test/e2e/vscode.test.ts) instead.
import { runTests, downloadAndUnzipVSCode } from '@vscode/test-electron';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const version = process.env.VSCODE_TEST_VERSION ?? 'stable';

let vscodeExecutablePath = process.env.VSCODE_EXECUTABLE_PATH;
if (!vscodeExecutablePath) {
  try {
    vscodeExecutablePath = await downloadAndUnzipVSCode({ version, cachePath: path.join(root, '.vscode-test') });
  } catch (err) {
    console.error(`\ntest:electron: could not download VS Code ${version}: ${err instanceof Error ? err.message : String(err)}`);
    console.error('This needs network access to update.code.visualstudio.com. Set VSCODE_EXECUTABLE_PATH to an installed');
    console.error('desktop VS Code to run offline, or run the same suite in code-server: npm run test:e2e.');
    process.exit(1);
  }
}

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-electron-'));
const workspace = path.join(base, 'workspace');
fs.cpSync(path.join(root, 'test', 'e2e', 'fixtures', 'workspace'), workspace, { recursive: true });
try {
  const code = await runTests({
    vscodeExecutablePath,
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(root, 'out', 'test', 'e2e', 'suite.js'),
    launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust', '--user-data-dir', path.join(base, 'user-data')],
    extensionTestsEnv: {
      SKYDECK_HOME: path.join(base, 'skydeck-home'),
      SKYDECK_SSH_CONFIG: path.join(base, 'ssh_config'),
      ...(fs.existsSync(path.resolve(root, '..', 'shared', 'reference-catalogs'))
        ? { SKYDECK_CATALOG_DIR: path.resolve(root, '..', 'shared', 'reference-catalogs') }
        : {}),
    },
  });
  process.exitCode = code;
} catch (err) {
  console.error(`test:electron: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  fs.rmSync(base, { recursive: true, force: true });
}
