/**
 * Extension-host test entry (`extensionTestsPath`): runs the mocha suite inside the real
 * VS Code extension host (code-server via the payload route, or desktop VS Code via
 * @vscode/test-electron). Rejects when any test fails, which the workbench turns into
 * exit code 1.
 */
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.SKYDECK_E2E_GREP;
  if (grep) mocha.grep(grep);
  // Expose suite()/test() before the test module evaluates (it is bundled, not addFile'd).
  mocha.suite.emit('pre-require', globalThis, 'skydeck-e2e', mocha);
  await import('./tests');
  await new Promise<void>((resolve, reject) => {
    mocha.run((failures) => (failures ? reject(new Error(`${failures} extension-host test(s) failed`)) : resolve()));
  });
}
