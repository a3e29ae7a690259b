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

export function resourcesSites(analysis: ValidationResult): ResourcesSite[] {
  const sites: ResourcesSite[] = [];
  const { textMap } = analysis;
  for (const d of analysis.documents) {
    if (d.kind !== 'task' || !d.map) continue;
    const res = entryOf(d.map, 'resources');
    const numNodesNode = entryOf(d.map, 'num_nodes')?.value;
    const numNodes = numNodesNode?.kind === 'scalar' && typeof numNodesNode.value === 'number' && numNodesNode.value > 0 ? numNodesNode.value : 1;
    if (!res || res.value.kind !== 'map') continue;
    let choice;
    try {
      choice = buildResources(plainOf(res.value, d.replaced) as Record<string, unknown>);
    } catch {
      continue; // invalid values are already diagnostics
    }
    const keyRange = rangeOf(textMap, res.keyStart, res.keyEnd);
    sites.push({
      range: keyRange,
      resources: choice.mode === 'single' ? choice.candidates[0] : choice.base,
      numNodes,
      valueRanges: valueRanges(textMap, res.value),
    });
    if (choice.mode === 'single') continue;
    const list = entryOf(res.value, choice.mode)?.value;
    if (!list || list.kind !== 'seq') continue;
    const items = list.items.filter((i): i is VMap => i.kind === 'map');
    items.forEach((item: VNode, i) => {
      const candidate = choice.candidates[i];
      if (!candidate || item.kind !== 'map') return;
      const firstLineEnd = textMap.lineEnd(item.start);
      sites.push({
        range: rangeOf(textMap, item.start, Math.min(item.end, firstLineEnd)),
        resources: candidate,
        numNodes,
        candidateIndex: i,
        valueRanges: valueRanges(textMap, item),
      });
    });
  }
  return sites;
}
