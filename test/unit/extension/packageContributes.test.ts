/**
 * What package.json promises the user: the walkthrough's one-click launch of the example, palette
 * commands hidden where they cannot apply, and no second validator for the files SkyDeck's own
 * language server checks.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';

interface Contributes {
  commands: { command: string; title: string }[];
  menus: Record<string, { command: string; when?: string }[]>;
  walkthroughs: { steps: { id: string; description: string; completionEvents?: string[] }[] }[];
  yamlValidation?: { fileMatch: string[]; url: string }[];
}
const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../package.json'), 'utf8')) as { contributes: Contributes };
const c = pkg.contributes;

test("the walkthrough's first step launches the example on local in one click", () => {
  const first = c.walkthroughs[0].steps[0];
  assert.match(first.description, /\[Launch the Example on Local\]\(command:skydeck\.launchExample\)/);
  assert.ok(c.commands.some((x) => x.command === 'skydeck.launchExample'));
  assert.ok(first.completionEvents?.includes('onCommand:skydeck.launchExample'));
});

test('cluster verbs leave the palette while there is no cluster; task verbs while the active file is no task', () => {
  const when = (cmd: string) => c.menus.commandPalette.find((m) => m.command === cmd)?.when;
  for (const cmd of [
    'skydeck.exec',
    'skydeck.stop',
    'skydeck.start',
    'skydeck.down',
    'skydeck.autostop',
    'skydeck.logs',
    'skydeck.cancel',
    'skydeck.attachRemoteSsh',
    'skydeck.openSshTerminal',
  ])
    assert.equal(when(cmd), '!skydeck.noClusters', cmd);
  for (const cmd of ['skydeck.launch', 'skydeck.launchManagedJob', 'skydeck.plan']) assert.equal(when(cmd), 'skydeck.isTask', cmd);
  assert.equal(when('skydeck.serveUp'), 'skydeck.isServiceTask');
  const editorTitle = c.menus['editor/title'].find((m) => m.command === 'skydeck.launch');
  assert.match(editorTitle?.when ?? '', /skydeck\.isTask/);
});

test("SkyDeck's schemas are not handed to Red Hat YAML for the files its own server validates", () => {
  // SkyDeck's server checks every task and SkyPilot config file (with did-you-mean and quick
  // fixes); the same schema through yamlValidation made each problem appear twice.
  assert.equal(c.yamlValidation, undefined);
});
