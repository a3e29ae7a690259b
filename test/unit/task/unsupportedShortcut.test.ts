// The editor builds the task for the unsupported-field warnings only when the document writes a
// key one of them is about; skipping the build must never lose a warning.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UNSUPPORTED_FIELD_KEYS } from '../../../engine/task/unsupported';
import { mayHaveUnsupportedField, unsupportedFieldProblems } from '../../../engine/task/unsupportedDiagnostics';
import { plainOf, validateTaskText } from '../../../engine/task/validate';
import { corpusDir, yamlFiles } from '../../helpers/shared';

test('every field a warning names ends in a key of UNSUPPORTED_FIELD_KEYS', () => {
  const source = fs.readFileSync(path.resolve(__dirname, '../../../engine/task/unsupported.ts'), 'utf8');
  const fields = [...source.matchAll(/\badd\(\s*'([^']+)'/g)].map((m) => m[1]);
  assert.ok(fields.length >= 8, `found ${fields.length} warnings`);
  for (const f of [...fields, 'inputs', 'outputs'])
    assert.ok(UNSUPPORTED_FIELD_KEYS.has(f.split('.').pop()!), `${f}: its key is missing from UNSUPPORTED_FIELD_KEYS`);
});

test('a document without those keys gets no unsupported-field warning', () => {
  const texts = [...yamlFiles(corpusDir()), ...yamlFiles(path.join(__dirname, 'fixtures'))].map((f) => fs.readFileSync(f, 'utf8'));
  texts.push(
    'resources:\n  infra: aws\n  network_tier: best\n  priority: 1\n  local_disk: nvme:100+\n  accelerator_args: {tpu_vm: true}\n  ephemeral_storage: 10GB\nevent_callback: echo\ninputs: {s3://b: 1}\noutputs: {s3://c: 1}\nrun: x\n',
    'service:\n  readiness_probe: /\n  replica_policy: {min_replicas: 1, max_replicas: 2, target_qps_per_replica: 1, spot_placer: dynamic_fallback}\nresources:\n  use_spot: true\n  ports: 8080\n',
    'pool:\n  workers: 2\nrun: x\n',
    'volumes:\n  /mnt: {size: 10Gi}\nresources:\n  any_of:\n    - volumes: [{path: /d, name: x}]\n',
  );
  let warned = 0;
  for (const text of texts) {
    const analysis = validateTaskText(text);
    for (const d of analysis.documents) {
      if (d.kind !== 'task' || !d.map) continue;
      const found = unsupportedFieldProblems(d.map, plainOf(d.map, d.replaced));
      warned += found.length;
      if (!mayHaveUnsupportedField(d.map, d.replaced)) assert.deepEqual(found, [], text);
    }
  }
  assert.ok(warned >= 10, `only ${warned} warnings: the documents above no longer exercise them`);
});
