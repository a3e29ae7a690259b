/**
 * Extension-host test entry (`extensionTestsPath`): runs the mocha suite inside the real
 * VS Code extension host (code-server via the payload route, or desktop VS Code via
 * @vscode/test-electron). Rejects when any test fails, which the workbench turns into
 * exit code 1, and when fewer tests ran than expected: every test of the suite without a
 * grep (a skipped one is a failure), at least one with SKYDECK_E2E_GREP (a grep that
 * matches nothing must not pass as green).
 */
import Mocha from 'mocha';

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.SKYDECK_E2E_GREP;
  if (grep) mocha.grep(grep);
  // Expose suite()/test() before the test module evaluates (it is bundled, not addFile'd).
  mocha.suite.emit('pre-require', globalThis, 'skydeck-e2e', mocha);
  await import('./tests');
  const declared = mocha.suite.total();
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (failures) return reject(new Error(`${failures} extension-host test(s) failed`));
      const ran = (runner.stats?.passes ?? 0) + (runner.stats?.failures ?? 0);
      const wanted = grep ? 1 : declared;
      if (ran < wanted) {
        const why = grep ? `SKYDECK_E2E_GREP=${JSON.stringify(grep)} matched no test` : `${declared - ran} test(s) did not run (skipped or pending)`;
        return reject(new Error(`only ${ran} of ${wanted} expected extension-host test(s) ran: ${why}`));
      }
      resolve();
    });
  });
}
