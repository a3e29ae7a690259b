import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv from 'ajv';
import { schemaFiles } from '../../../schemas/files';
import type { JSONSchema } from '../../../engine/task/schema/jsonSchema';

const SCHEMAS = path.resolve(__dirname, '../../../schemas');

test('schemas/*.json are generated from the TS source (run node --import tsx schemas/generate.ts)', () => {
  for (const [name, schema] of Object.entries(schemaFiles())) {
    const onDisk = JSON.parse(fs.readFileSync(path.join(SCHEMAS, name), 'utf8'));
    assert.deepEqual(onDisk, JSON.parse(JSON.stringify(schema)), `${name} is stale`);
  }
});

test('schemas compile as Draft-07 with plain Ajv (portable patterns, no custom keyword needed)', () => {
  for (const name of Object.keys(schemaFiles())) {
    const ajv = new Ajv({ strict: false, unicodeRegExp: true });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS, name), 'utf8')));
    assert.equal(typeof validate, 'function');
  }
  const ajv = new Ajv({ strict: false });
  const v = ajv.compile(JSON.parse(fs.readFileSync(path.join(SCHEMAS, 'task.schema.json'), 'utf8')));
  assert.equal(v({ resources: { infra: 'AWS/us-east-1', disk_tier: 'High', accelerators: { 'A100:1': null } }, run: 'x', setup: null }), true);
  assert.equal(v({ resources: { infra: 'nope/x' } }), false);
  assert.equal(v({ resources: { disk_tier: 'fast' } }), false);
  assert.equal(v({ resources: { spot_recovery: 'FAILOVER' } }), false);
});

test('every property has a description and examples', () => {
  const missing: string[] = [];
  const walk = (s: JSONSchema | boolean | undefined, at: string) => {
    if (!s || typeof s === 'boolean') return;
    for (const [k, v] of Object.entries(s.properties ?? {})) {
      if (!(v.description || v.markdownDescription)) missing.push(`${at}.${k}: description`);
      if (!v.examples?.length) missing.push(`${at}.${k}: examples`);
      walk(v, `${at}.${k}`);
    }
    for (const v of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) walk(v, at);
    walk(s.items, `${at}[]`);
    if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${at}.*`);
    for (const v of Object.values(s.patternProperties ?? {})) walk(v, `${at}.~`);
    for (const [k, v] of Object.entries(s.definitions ?? {})) walk(v, `#${k}`);
  };
  for (const [name, schema] of Object.entries(schemaFiles())) walk(schema, name);
  assert.deepEqual(missing, []);
});
