/** The outline (LSP document symbols) names secrets but never shows their values. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TaskLanguageService } from '../../../server/service/languageService';

let version = 0;
const outline = (text: string) => new TaskLanguageService().documentSymbols({ uri: 'file:///w/task.yaml', version: ++version, getText: () => text });

test('secrets: keys are listed, values never appear (block, flow, list and pipeline forms); envs keep their values', () => {
  const single = outline('name: t\nenvs:\n  MODEL: llama\nsecrets:\n  HF_TOKEN: hf_Sekr1tValue\n  WANDB_KEY: "wb-Sekr1t"\n  FROM_ENV: null\nrun: echo\n');
  const secrets = single.find((s) => s.name === 'secrets');
  assert.deepEqual(
    secrets?.children?.map((c) => c.name),
    ['HF_TOKEN', 'WANDB_KEY', 'FROM_ENV'],
  );
  assert.deepEqual(
    secrets?.children?.map((c) => c.detail),
    ['(secret)', '(secret)', undefined],
  );
  assert.equal(single.find((s) => s.name === 'envs')?.children?.[0].detail, 'llama', 'envs are not secret');

  for (const text of [
    'name: t\nsecrets: {HF_TOKEN: hf_Sekr1tValue, B: wb-Sekr1t}\nrun: x\n',
    'name: t\nsecrets:\n  - hf_Sekr1tValue\n  - {A: wb-Sekr1t}\nrun: x\n',
    'secrets: hf_Sekr1tValue\nrun: x\n',
    'name: p\n---\nname: a\nsecrets:\n  T: hf_Sekr1tValue\nrun: x\n---\nname: b\nrun: y\n',
  ]) {
    const json = JSON.stringify(outline(text));
    assert.ok(json.includes('secrets'), json);
    assert.ok(!json.includes('Sekr1t'), `a secret value in the outline of ${JSON.stringify(text)}: ${json}`);
  }
});
