/**
 * Reading a volume YAML as `sky volumes apply` does: `name`, `type`, `infra`, `size`,
 * `config` (k8s-pvc: `namespace`, `storage_class_name`, `access_mode`), `use_existing`.
 * Every problem is an error naming the file, line and field; nothing is created before the
 * whole file is known to be good.
 */
import * as fs from 'node:fs';
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { InputError } from '../errors';
import { parseInfra, TaskValueError } from '../task/values';
import { ACCESS_MODES, VOLUME_TYPES, type VolumeSpec, type VolumeType } from './types';

const KNOWN_KEYS = ['name', 'type', 'infra', 'size', 'config', 'use_existing', 'labels'];
const K8S_CONFIG_KEYS = ['namespace', 'storage_class_name', 'access_mode'];
const LABEL_KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
/** DNS-1123 subdomain (PVC names); SkyPilot's volume names follow it too. */
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** `10Gi`, `10`, `1Ti`, `500Mi` -> GiB (SkyPilot's size is in GiB when it has no unit). */
export function parseVolumeSize(v: unknown): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(Mi|Gi|Ti|M|G|T)?\s*$/.exec(String(v));
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'Gi').replace(/i$/, '');
  const gi = unit === 'M' ? n / 1024 : unit === 'T' ? n * 1024 : n;
  return gi > 0 ? gi : undefined;
}

export function parseVolumeYaml(text: string, file = '<volume>'): VolumeSpec {
  const lines = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const fail = (field: string, message: string, node?: unknown): never => {
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    const line = range ? lines.linePos(range[0]).line : 1;
    throw new InputError(`${file}:${line}: ${field}: ${message}`, {
      code: 'INVALID_VOLUME',
      hint: "See SkyPilot's volume YAML: name, type, infra, size, config.",
    });
  };
  if (doc.errors.length) fail('yaml', doc.errors[0].message);
  if (!isMap(doc.contents)) fail('volume', 'the file must be a mapping with name, type, infra and size.', doc.contents);
  const root = doc.contents as import('yaml').YAMLMap;
  const nodeOf = (key: string) => root.items.find((p) => isScalar(p.key) && p.key.value === key);
  const raw = doc.toJS() as Record<string, unknown>;
  for (const p of root.items) {
    const k = isScalar(p.key) ? String(p.key.value) : '';
    if (!KNOWN_KEYS.includes(k)) fail(k || 'key', `unknown field (known: ${KNOWN_KEYS.join(', ')}).`, p.key);
  }
  const at = (k: string) => nodeOf(k)?.value ?? nodeOf(k)?.key;
  const name = raw.name;
  if (typeof name !== 'string' || !name) fail('name', 'is required (a string).', at('name') ?? root);
  if (!NAME.test(name as string) || (name as string).length > 63)
    fail('name', `'${String(name)}' must be lowercase letters, digits and '-', starting and ending with a letter or digit, at most 63 characters.`, at('name'));
  const type = String(raw.type ?? '').toLowerCase();
  if (!raw.type) fail('type', `is required (one of ${VOLUME_TYPES.join(', ')}).`, root);
  if (!(VOLUME_TYPES as readonly string[]).includes(type)) fail('type', `'${String(raw.type)}' is not one of ${VOLUME_TYPES.join(', ')}.`, at('type'));
  let infra: VolumeSpec['infra'];
  try {
    const parsed = parseInfra(String(raw.infra ?? (type === 'k8s-pvc' ? 'kubernetes' : '')));
    if (!parsed.cloud) fail('infra', 'is required (e.g. k8s, k8s/<context>, ssh/<pool>, local).', at('infra') ?? root);
    infra = { cloud: parsed.cloud!, region: parsed.region };
  } catch (e) {
    if (e instanceof TaskValueError) fail('infra', e.message, at('infra'));
    throw e;
  }
  const useExisting = raw.use_existing === true;
  if (raw.use_existing !== undefined && typeof raw.use_existing !== 'boolean') fail('use_existing', 'must be true or false.', at('use_existing'));
  let sizeGi: number | undefined;
  if (raw.size !== undefined && raw.size !== null) {
    sizeGi = parseVolumeSize(raw.size);
    if (sizeGi === undefined) fail('size', `'${String(raw.size)}' is not a size (e.g. 10Gi, or 10 for 10 GiB).`, at('size'));
  } else if (!useExisting) fail('size', 'is required unless use_existing is true.', root);
  const config: VolumeSpec['config'] = {};
  if (raw.config !== undefined && raw.config !== null) {
    const cfgNode = nodeOf('config')?.value;
    if (typeof raw.config !== 'object' || Array.isArray(raw.config)) fail('config', 'must be a mapping.', cfgNode);
    for (const [k, v] of Object.entries(raw.config as Record<string, unknown>)) {
      const node = isMap(cfgNode) ? cfgNode.items.find((p) => isScalar(p.key) && p.key.value === k)?.key : cfgNode;
      if (type !== 'k8s-pvc' || !K8S_CONFIG_KEYS.includes(k))
        fail(`config.${k}`, `is not a ${type} setting${type === 'k8s-pvc' ? ` (known: ${K8S_CONFIG_KEYS.join(', ')})` : ''}.`, node);
      if (typeof v !== 'string' || !v) fail(`config.${k}`, 'must be a non-empty string.', node);
      if (k === 'access_mode' && !(ACCESS_MODES as readonly string[]).includes(v as string))
        fail(`config.${k}`, `'${String(v)}' is not one of ${ACCESS_MODES.join(', ')}.`, node);
      if (k === 'namespace') config.namespace = v as string;
      if (k === 'storage_class_name') config.storageClassName = v as string;
      if (k === 'access_mode') config.accessMode = v as string;
    }
  }
  const labels: Record<string, string> = {};
  if (raw.labels !== undefined && raw.labels !== null) {
    if (typeof raw.labels !== 'object' || Array.isArray(raw.labels)) fail('labels', 'must be a mapping of label names to values.', at('labels'));
    for (const [k, v] of Object.entries(raw.labels as Record<string, unknown>)) {
      if (!LABEL_KEY.test(k) || !LABEL_VALUE.test(String(v ?? '')))
        fail(
          `labels.${k}`,
          'is not a valid Kubernetes label (name up to 63 of [A-Za-z0-9._-], optional DNS prefix; value up to 63 of the same).',
          at('labels'),
        );
      labels[k] = String(v);
    }
  }
  return { name: name as string, type: type as VolumeType, infra: infra!, sizeGi, useExisting, config, labels };
}

export function loadVolumeFile(file: string): VolumeSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`Cannot read the volume file ${file}: ${(e as Error).message}`);
  }
  return parseVolumeYaml(text, file);
}
