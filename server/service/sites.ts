/**
 * ResourcesSites: the places of a task document where resources are requested (the
 * `resources:` key and each any_of / ordered item), with the effective resources and the
 * ranges of interesting values, for the catalog insights (cost lenses, offer diagnostics).
 */
import { buildResources } from '../../engine/task/build';
import type { ValidationResult } from '../../engine/task/validate';
import { plainOf } from '../../engine/task/validate';
import type { InsightRange, ResourcesSite } from '../../engine/optimizer/insightTypes';
import { entryOf, type TextMap, type VMap, type VNode } from '../../engine/task/yamlTree';

const VALUE_KEYS = ['accelerators', 'instance_type', 'infra', 'max_hourly_cost', 'cpus', 'memory', 'use_spot', 'disk_tier', 'image_id', 'ports'] as const;

function rangeOf(textMap: TextMap, start: number, end: number): InsightRange {
  return textMap.range(start, end);
}

function valueRanges(textMap: TextMap, map: VMap): ResourcesSite['valueRanges'] {
  const out: ResourcesSite['valueRanges'] = {};
  for (const k of VALUE_KEYS) {
    const e = entryOf(map, k) ?? (k === 'accelerators' ? entryOf(map, 'gpus') : undefined);
    if (e && !(e.value.kind === 'scalar' && e.value.value === null)) out[k] = rangeOf(textMap, e.value.start, e.value.end);
  }
  return out;
}

/** `service.replicas`, or `service.replica_policy` min/max (max defaults to min, as SkyPilot does). */
function replicasOf(doc: VMap): { min: number; max: number } | undefined {
  const service = entryOf(doc, 'service')?.value;
  if (service?.kind !== 'map') return undefined;
  const num = (n: VNode | undefined) => (n?.kind === 'scalar' && typeof n.value === 'number' && n.value >= 0 ? n.value : undefined);
  const fixed = num(entryOf(service, 'replicas')?.value);
  const policy = entryOf(service, 'replica_policy')?.value;
  if (policy?.kind === 'map') {
    const min = num(entryOf(policy, 'min_replicas')?.value) ?? fixed ?? 1;
    const max = num(entryOf(policy, 'max_replicas')?.value) ?? min;
    return { min, max: Math.max(min, max) };
  }
  return { min: fixed ?? 1, max: fixed ?? 1 };
}

export function resourcesSites(analysis: ValidationResult): ResourcesSite[] {
  const sites: ResourcesSite[] = [];
  const { textMap } = analysis;
  for (const d of analysis.documents) {
    if (d.kind !== 'task' || !d.map) continue;
    const res = entryOf(d.map, 'resources');
    const numNodesNode = entryOf(d.map, 'num_nodes')?.value;
    const numNodes = numNodesNode?.kind === 'scalar' && typeof numNodesNode.value === 'number' && numNodesNode.value > 0 ? numNodesNode.value : 1;
    if (!res || res.value.kind !== 'map') continue;
    const replicas = replicasOf(d.map);
    const plain = plainOf(res.value, d.replaced) as Record<string, unknown>;
    const mode = ['any_of', 'ordered'].find((k) => Array.isArray(plain[k])) as 'any_of' | 'ordered' | undefined;
    let choice;
    try {
      choice = buildResources(plain);
    } catch {
      // A bad value in one any_of / ordered item (already a diagnostic) leaves the other items' lenses.
      if (mode) sites.push(...itemSites(textMap, res.value, plain, mode, numNodes, replicas));
      continue;
    }
    sites.push({
      range: rangeOf(textMap, res.keyStart, res.keyEnd),
      resources: choice.mode === 'single' ? choice.candidates[0] : choice.base,
      numNodes,
      ...(replicas ? { replicas } : {}),
      valueRanges: valueRanges(textMap, res.value),
    });
    if (choice.mode === 'single') continue;
    const list = entryOf(res.value, choice.mode)?.value;
    if (!list || list.kind !== 'seq') continue;
    const items = list.items.filter((i): i is VMap => i.kind === 'map');
    items.forEach((item, i) => {
      const candidate = choice.candidates[i];
      if (candidate) sites.push(itemSite(textMap, item, candidate, i, numNodes, replicas));
    });
  }
  return sites;
}

function itemSite(
  textMap: TextMap,
  item: VMap,
  candidate: ResourcesSite['resources'],
  i: number,
  numNodes: number,
  replicas: ResourcesSite['replicas'],
): ResourcesSite {
  return {
    range: rangeOf(textMap, item.start, Math.min(item.end, textMap.lineEnd(item.start))),
    resources: candidate,
    numNodes,
    ...(replicas ? { replicas } : {}),
    candidateIndex: i,
    valueRanges: valueRanges(textMap, item),
  };
}

/** The items of an any_of / ordered list one by one, when the list as a whole does not build. */
function itemSites(
  textMap: TextMap,
  resources: VMap,
  plain: Record<string, unknown>,
  mode: 'any_of' | 'ordered',
  numNodes: number,
  replicas: ResourcesSite['replicas'],
): ResourcesSite[] {
  const list = entryOf(resources, mode)?.value;
  if (!list || list.kind !== 'seq') return [];
  const base = Object.fromEntries(Object.entries(plain).filter(([k]) => k !== 'any_of' && k !== 'ordered'));
  const rawItems = plain[mode] as unknown[];
  const out: ResourcesSite[] = [];
  list.items.forEach((item, i) => {
    const raw = rawItems[i];
    if (item.kind !== 'map' || !raw || typeof raw !== 'object') return;
    try {
      const one = buildResources({ ...base, ...(raw as Record<string, unknown>) });
      out.push(itemSite(textMap, item, one.candidates[0], i, numNodes, replicas));
    } catch {
      // this item's own value is the diagnostic
    }
  });
  return out;
}
