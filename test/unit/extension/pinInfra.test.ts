import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { pinInfraEdit, type TextEditSpec } from '../../../extension/cost/pinInfra';

function apply(text: string, e: TextEditSpec): string {
  const lines = text.split('\n');
  const offset = (line: number, ch: number) => lines.slice(0, line).reduce((n, l) => n + l.length + 1, 0) + ch;
  return text.slice(0, offset(e.line, e.character)) + e.newText + text.slice(offset(e.endLine, e.endCharacter));
}

test('replaces the value of an existing infra, keeping its comment', () => {
  const text = 'name: x\nresources:\n  infra: aws  # cheapest\n  accelerators: A100:1\nrun: echo\n';
  assert.equal(
    apply(text, pinInfraEdit(text, 'gcp/us-central1')),
    'name: x\nresources:\n  infra: gcp/us-central1  # cheapest\n  accelerators: A100:1\nrun: echo\n',
  );
});

test('inserts infra under resources: with the block indentation', () => {
  const text = 'resources:\n    accelerators: A100:1\nrun: echo\n';
  assert.equal(apply(text, pinInfraEdit(text, 'azure/eastus')), 'resources:\n    infra: azure/eastus\n    accelerators: A100:1\nrun: echo\n');
});

test('does not touch a nested infra (any_of candidates) and pins the base', () => {
  const text = 'resources:\n  any_of:\n    - infra: aws\n    - infra: gcp\n';
  assert.equal(apply(text, pinInfraEdit(text, 'gcp/us-east1')), 'resources:\n  infra: gcp/us-east1\n  any_of:\n    - infra: aws\n    - infra: gcp\n');
});

test('adds a resources block when there is none', () => {
  const text = 'run: echo hi\n';
  assert.equal(apply(text, pinInfraEdit(text, 'local')), 'run: echo hi\nresources:\n  infra: local\n');
});

test('refuses inline resources with an actionable message', () => {
  assert.throws(() => pinInfraEdit('resources: {cpus: 2}\n', 'local'), /inline; pin infra by hand/);
});
