/**
 * SkyDeck in real VS Code: code-server (from .tools, set up by
 * scripts/setup/50-code-server.sh) driven by headless Chromium with playwright-core.
 *
 * 1. Extension-host tests (test/e2e/suite) through the workbench's payload route
 *    (extensionDevelopmentPath + extensionTestsPath, smoke-test driver on); the exit
 *    code arrives through window.codeAutomationExit and mocha's output is forwarded from
 *    the browser console.
 * 2. A UI test: open a task file, see the cost lens, run "SkyDeck: Launch" on local, see
 *    the cluster UP in the sidebar, see the task's output in its log, run Down.
 *    Screenshots of each step go to test-artifacts/e2e/.
 *
 * Needs dist/ built (npm run build; scripts/test.sh does it). Every wait has a deadline;
 * code-server's process group and Chromium are killed in t.after.
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchBrowser, missingTools, ROOT, startCodeServer, within, workbenchUrl, type CodeServer } from './harness/codeServer';

const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
const FIXTURES = path.join(__dirname, 'fixtures', 'workspace');
const REFERENCE_CATALOGS = path.resolve(ROOT, '..', 'shared', 'reference-catalogs');

function fixtureFiles(): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(FIXTURES).map((f) => [f, fs.readFileSync(path.join(FIXTURES, f), 'utf8')]));
}

function prerequisites(): string | undefined {
  const missing = missingTools();
  if (missing) return missing;
  for (const f of ['extension.js', 'extension-engine.js', 'server.js', 'cli.js']) {
    if (!fs.existsSync(path.join(ROOT, 'dist', f))) return `dist/${f} is missing: run npm run build`;
  }
  return undefined;
}

function engineEnv(): NodeJS.ProcessEnv {
  return fs.existsSync(REFERENCE_CATALOGS) ? { SKYDECK_CATALOG_DIR: REFERENCE_CATALOGS } : {};
}

test('extension-host tests pass in code-server', { timeout: 600_000 }, async (t) => {
  const problem = prerequisites();
  assert.equal(problem, undefined, problem);
  const built = spawnSync(process.execPath, [path.join(__dirname, 'buildSuite.mjs')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(built.status, 0, `building the suite failed:\n${built.stderr}`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });

  const cs = await startCodeServer({
    workspaceFiles: fixtureFiles(),
    env: { ...engineEnv(), SKYDECK_E2E_OUT: ARTIFACTS, ...(process.env.SKYDECK_E2E_GREP ? { SKYDECK_E2E_GREP: process.env.SKYDECK_E2E_GREP } : {}) },
  });
  t.after(() => cs.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());

  const logLines: string[] = [];
  browser.page.on('console', (msg) => {
    // The extension host's console arrives as ('%c INFO', 'color: ...', format, ...args): re-format mocha's lines.
    void Promise.all(msg.args().map((a) => a.jsonValue().catch(() => '')))
      .then((values: unknown[]) => {
        const rest = typeof values[0] === 'string' && values[0].startsWith('%c') ? values.slice(2) : values;
        return rest.length ? format(...(rest as [unknown, ...unknown[]])) : msg.text();
      })
      .catch(() => msg.text())
      .then((text) => {
        if (/passing|failing|pending|✔|✓|^\s*\d+\)|Error|assert|^\s+at /m.test(text) || msg.type() === 'error') logLines.push(text);
      });
  });
  let exit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  await browser.page.exposeFunction('codeAutomationExit', (code: number) => exit(code));
  await browser.page.goto(workbenchUrl(cs, { extensionPath: ROOT, testsPath: path.join(ROOT, 'out', 'test', 'e2e', 'suite.js') }), {
    waitUntil: 'commit',
    timeout: 120_000,
  });
  let code: number;
  try {
    code = await within(exited, 360_000, 'the extension-host tests to finish (codeAutomationExit)');
  } finally {
    await browser.page.screenshot({ path: path.join(ARTIFACTS, '00-extension-host-tests.png') }).catch(() => undefined);
    fs.writeFileSync(path.join(ARTIFACTS, 'extension-host-tests.log'), logLines.join('\n'));
    t.diagnostic(logLines.slice(-120).join('\n'));
  }
  assert.equal(code, 0, `extension-host tests failed:\n${logLines.slice(-80).join('\n')}`);
});

// ---- UI test -------------------------------------------------------------------------

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** Types into the open quick pick and accepts. */
async function answerQuickPick(page: Page, text: string | undefined, expectRow?: RegExp): Promise<void> {
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  if (text !== undefined) await input.fill(text);
  if (expectRow) await page.locator('.quick-input-list .monaco-list-row', { hasText: expectRow }).first().waitFor({ state: 'visible' });
  await page.keyboard.press('Enter');
}

/** Opens a workspace file from the Explorer (no file search involved: nothing to index). */
async function openFile(page: Page, name: string): Promise<void> {
  const row = page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  await row.waitFor({ state: 'visible', timeout: 120_000 });
  await row.dblclick();
  await page.locator('.tab.active', { hasText: name }).waitFor({ state: 'visible' });
}

/** Every file under `dir`, read as text (state databases included), for what the editor may have kept. */
function filesContaining(dir: string, needle: string): string[] {
  const found: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    if (fs.readFileSync(p).includes(needle)) found.push(p);
  }
  return found;
}

/** Down from the palette: pick the cluster, confirm the modal, wait for its row to go. */
async function downFromPalette(page: Page, cluster: string): Promise<void> {
  await runCommand(page, 'SkyDeck: Down');
  await answerQuickPick(page, cluster, new RegExp(cluster));
  const dialog = page.locator('.monaco-dialog-box');
  await dialog.waitFor({ state: 'visible' });
  await dialog.locator('.monaco-button', { hasText: /^Down$/ }).click();
  await page
    .locator('.pane', { hasText: 'Clusters' })
    .locator('.monaco-list-row', { hasText: cluster })
    .first()
    .waitFor({ state: 'detached', timeout: 120_000 });
}

test('UI: lenses, refusal, task-only menus, the plan table, a launch with null values, the walkthrough one-click launch', { timeout: 600_000 }, async (t) => {
  const problem = prerequisites();
  assert.equal(problem, undefined, problem);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // The walkthrough writes its example itself: the workspace starts without it.
  const files = fixtureFiles();
  delete files['hello.sky.yaml'];
  const cs: CodeServer = await startCodeServer({ workspaceFiles: files, env: engineEnv() });
  t.after(() => cs.stop());
  // An SSH pool the planner lists as an alternative to local (never launched on: nothing listens there).
  fs.writeFileSync(path.join(cs.dirs.skydeckHome, 'ssh_node_pools.yaml'), 'e2e-pool:\n  user: nobody\n  hosts:\n    - 127.0.0.9\n');
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const { page } = browser;
  const SECRET = 's3cr3t-e2e';

  try {
    await page.goto(workbenchUrl(cs, { extensionPath: ROOT }), { waitUntil: 'commit', timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: 300_000 });

    // 1. The task file with its lenses: SkyDeck's actions and the server's cost lens, marked
    //    "not set up" (no cloud has credentials here) with a lens that leads to setting it up.
    await openFile(page, 'gpu.sky.yaml');
    // Activation (onLanguage:yaml) shows the status-bar item; the extension host can be slow to start on a busy machine.
    await page.locator('.statusbar-item', { hasText: 'SkyDeck' }).first().waitFor({ state: 'visible', timeout: 300_000 });
    await page.locator('.codelens-decoration', { hasText: 'Launch' }).first().waitFor({ state: 'visible', timeout: 120_000 });
    await page
      .locator('.codelens-decoration', { hasText: /\$\d.*not set up/ })
      .first()
      .waitFor({ state: 'visible', timeout: 120_000 });
    await page
      .locator('.codelens-decoration', { hasText: /Set up \w+: a launch there fails until then/ })
      .first()
      .waitFor({ state: 'visible' });
    await shot(page, '01-task-file-with-cost-lens.png');

    // 1b. Clicking the cost lens opens the offers view (sortable table + price chart).
    await page.locator('.codelens-decoration a', { hasText: /\$\d/ }).first().click();
    await page
      .locator('.tab', { hasText: /^Offers/ })
      .first()
      .waitFor({ state: 'visible', timeout: 120_000 });
    const offersFrame = page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
    await offersFrame.locator('table#offers tbody tr').first().waitFor({ state: 'visible', timeout: 60_000 });
    await offersFrame.locator('svg rect.spot').first().waitFor({ state: 'attached' });
    await shot(page, '01b-offers-view.png');

    // 2. A file with errors: Launch refuses before asking anything, "N problems" with Show Problems.
    await openFile(page, 'invalid.sky.yaml');
    await page
      .locator('.codelens-decoration a', { hasText: /^\s*Launch$/ })
      .first()
      .click({ timeout: 120_000 });
    // The refusal is a notification with its fix as a button (a toast, or in the notification
    // center when the toast has already been put away).
    const refusal = page.locator('.notification-list-item', { hasText: /invalid\.sky\.yaml has 1 problem; fix it before launching/ }).first();
    // Whether Launch asked anything, looked at before the fallback below opens the palette itself.
    const asking = () => page.locator('.quick-input-widget input').isVisible();
    let asked: boolean;
    try {
      await refusal.waitFor({ state: 'visible', timeout: 30_000 });
      asked = await asking();
    } catch {
      asked = await asking();
      await runCommand(page, 'Notifications: Show Notifications');
      await refusal.waitFor({ state: 'visible', timeout: 120_000 });
    }
    assert.equal(asked, false, 'nothing was asked');
    await shot(page, '02-refused-with-problems.png');
    await refusal.locator('.monaco-button', { hasText: 'Show Problems' }).click();
    await page
      .locator('.markers-panel .monaco-list-row', { hasText: /job_recovery/ })
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });
    await shot(page, '02b-problems.png');

    // 3. Menus follow content detection: a task without .sky in its name gets the editor-title
    //    Launch button; a Kubernetes manifest gets neither the button nor the palette commands.
    const titleLaunch = page.locator('.editor-actions .action-label[aria-label*="Launch"]');
    await openFile(page, 'train.yaml');
    await titleLaunch.first().waitFor({ state: 'visible', timeout: 120_000 });
    await openFile(page, 'deployment.yaml');
    await titleLaunch.first().waitFor({ state: 'detached', timeout: 60_000 });
    await page.keyboard.press('F1');
    await page.locator('.quick-input-widget input').fill('>SkyDeck: Dry Run (Plan)');
    // The palette has filtered (it offers similar commands, or says none match), without the task verbs.
    await page
      .locator('.quick-input-widget', { hasText: /similar commands|No matching commands/ })
      .first()
      .waitFor({ state: 'visible' });
    assert.equal(await page.locator('.quick-input-list .monaco-list-row', { hasText: 'SkyDeck: Dry Run (Plan)' }).count(), 0, 'no Plan command on a manifest');
    await shot(page, '03-no-task-commands-on-a-manifest.png');
    await page.keyboard.press('Escape');

    // 4. The plan as a table: the chosen row and the alternatives; picking local launches there,
    //    asking only the cluster name, then the null env and secret (the secret in a password box).
    await openFile(page, 'train.yaml');
    await runCommand(page, 'SkyDeck: Dry Run (Plan)');
    await page.locator('.quick-input-title', { hasText: 'Plan for train.yaml' }).waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('.quick-input-list', { hasText: 'Chosen' }).waitFor({ state: 'visible' });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'local/local' }).first().waitFor({ state: 'visible' });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'ssh/e2e-pool' }).first().waitFor({ state: 'visible' });
    assert.ok(await page.locator('.quick-input-list', { hasText: 'Alternatives' }).isVisible(), 'an Alternatives group');
    await shot(page, '04-plan-table.png');
    await answerQuickPick(page, 'local/local', /local\/local/);
    await answerQuickPick(page, 'e2e-ui', /New cluster: e2e-ui/);
    await page.locator('.quick-input-title', { hasText: /environment variable GREETING/ }).waitFor({ state: 'visible', timeout: 60_000 });
    await page.locator('.quick-input-widget input').fill('Hello from the SkyDeck e2e test');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-title', { hasText: /secret API_TOKEN/ }).waitFor({ state: 'visible', timeout: 60_000 });
    const secretBox = page.locator('.quick-input-widget input[type="password"]');
    await secretBox.waitFor({ state: 'visible' });
    await secretBox.fill(SECRET);
    await shot(page, '04b-secret-in-password-box.png');
    await page.keyboard.press('Enter');

    // 5. The job's log opens and shows the task's output (the secret arrived, and is not shown).
    await page
      .locator('.tab', { hasText: /e2e-ui · job/ })
      .first()
      .waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('.view-lines', { hasText: 'SKYDECK_E2E_DONE' }).first().waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('.view-lines', { hasText: 'Hello from the SkyDeck e2e test on node 0' }).first().waitFor({ state: 'visible' });
    await page
      .locator('.view-lines', { hasText: `token length ${SECRET.length}` })
      .first()
      .waitFor({ state: 'visible' });
    assert.equal(await page.locator('.view-lines', { hasText: SECRET }).count(), 0, 'the secret is not in the log');
    await shot(page, '05-job-log.png');

    // 6. The sidebar shows the cluster UP.
    await page.locator('.activitybar .action-item a[aria-label^="SkyDeck"]').first().click();
    const clusterRow = page.locator('.pane', { hasText: 'Clusters' }).locator('.monaco-list-row', { hasText: 'e2e-ui' }).first();
    await clusterRow.waitFor({ state: 'visible', timeout: 30_000 });
    await page
      .locator('.pane .monaco-list-row', { hasText: /e2e-ui.*UP/ })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await page
      .locator('.statusbar-item', { hasText: /1 running/ })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await shot(page, '06-sidebar-cluster-up.png');

    // 7. The editor kept no copy of the secret (settings, state, workspace).
    assert.deepEqual([...filesContaining(cs.dirs.userData, SECRET), ...filesContaining(cs.dirs.workspace, SECRET)], [], 'the secret is stored nowhere');

    // 8. Down from the palette.
    await downFromPalette(page, 'e2e-ui');
    await shot(page, '07-after-down.png');

    // 9. The walkthrough: one click writes the example into the workspace and launches it on local.
    await runCommand(page, 'Welcome: Open Walkthrough');
    await answerQuickPick(page, 'Get started with SkyDeck', /Get started with SkyDeck/);
    const launchExample = page.locator('.monaco-button', { hasText: 'Launch the Example on Local' }).first();
    await launchExample.waitFor({ state: 'visible', timeout: 60_000 });
    await shot(page, '08-walkthrough.png');
    await launchExample.click();
    await page
      .locator('.tab', { hasText: /sky-hello · job/ })
      .first()
      .waitFor({ state: 'visible', timeout: 180_000 });
    // The job ran to its end on both local nodes (long lines are clipped by the editor's width).
    await page.locator('.codelens-decoration', { hasText: 'sky-hello job 1: SUCCEEDED' }).first().waitFor({ state: 'visible', timeout: 120_000 });
    await page.locator('.view-lines', { hasText: 'rank=1' }).first().waitFor({ state: 'visible' });
    await page.locator('.view-lines', { hasText: 'Hello from Sky' }).first().waitFor({ state: 'visible' });
    await shot(page, '09-walkthrough-example-launched.png');
    const example = path.join(cs.dirs.workspace, 'hello.sky.yaml');
    assert.equal(
      fs.readFileSync(example, 'utf8'),
      fs.readFileSync(path.join(ROOT, 'examples', 'hello.yaml'), 'utf8'),
      'the example is a file in the workspace',
    );
    await downFromPalette(page, 'sky-hello');
  } catch (err) {
    await shot(page, 'failure.png').catch(() => undefined);
    throw err;
  }
  const clusters = fs.readFileSync(path.join(cs.dirs.skydeckHome, 'state', 'clusters.json'), 'utf8');
  assert.ok(!clusters.includes('"e2e-ui"') && !clusters.includes('"sky-hello"'), 'the cluster records are gone');
});
