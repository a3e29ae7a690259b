/**
 * Accelerator names as SkyPilot canonicalizes them (sky/utils/accelerator_registry.py):
 * `tpu-*` lower-cased; otherwise an exact case-insensitive match wins, else a unique
 * case-insensitive substring match; several matches are ambiguous; no match keeps the
 * name (a custom Kubernetes GPU label).
 */
import { InputError } from '../errors';
import type { Catalog } from './catalog';

const CLOUD_LABELS: Record<string, string> = { aws: 'AWS', gcp: 'GCP', azure: 'Azure' };

/**
 * Answers per list of known names (a new list whenever the catalog gains a cloud or the
 * accelerator list, so an answer never outlives what it was computed from): the lookup runs on
 * every lens and plan.
 */
const answers = new WeakMap<readonly string[], Map<string, string | InputError>>();

export function canonicalizeAccelerator(cat: Catalog, name: string, cloud?: string): string {
  const known = cat.allAcceleratorNames();
  let memo = answers.get(known);
  if (!memo) answers.set(known, (memo = new Map()));
  const key = `${cloud ?? ''}|${name}`;
  let answer = memo.get(key);
  if (answer === undefined) {
    try {
      answer = canonicalize(cat, name, cloud);
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      answer = e;
    }
    if (memo.size > 1000) memo.clear();
    memo.set(key, answer);
  }
  if (answer instanceof InputError) throw answer;
  return answer;
}

function canonicalize(cat: Catalog, name: string, cloud?: string): string {
  if (name.toLowerCase().startsWith('tpu-')) return name.toLowerCase();
  let names = cat.allAcceleratorNames();
  if (cloud && CLOUD_LABELS[cloud]) {
    const label = CLOUD_LABELS[cloud];
    const cc = cat.cloud(cloud);
    names = names.filter((n) => cc?.acceleratorNames.has(n) || cat.knownAccelerators.get(n.toLowerCase())?.clouds.includes(label));
  }
  const lower = name.toLowerCase();
  const exact = names.find((n) => n.toLowerCase() === lower);
  if (exact) return exact;
  const partial = names.filter((n) => n.toLowerCase().includes(lower) && !n.toLowerCase().startsWith('tpu-'));
  if (partial.length === 1) return partial[0];
  if (partial.length > 1) {
    throw new InputError(`Accelerator name '${name}' is ambiguous. Please choose one of [${partial.join(', ')}].`, {
      code: 'AMBIGUOUS_ACCELERATOR',
    });
  }
  return name;
}
