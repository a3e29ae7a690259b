/**
 * The editor's view of unsupported.ts: each field SkyDeck will not act on gets a warning on the
 * field itself (never an error: SkyPilot accepts these files, and the verdict stays SkyPilot's;
 * the launch refuses where running would be wrong).
 */
import { buildTask } from './build';
import type { SchemaProblem } from './schema/validator';
import { plannedInfraOf, UNSUPPORTED_FIELD_KEYS, unsupportedFieldWarnings } from './unsupported';
import { entryOf, type Plain, type VEntry, type VMap, type VNode } from './yamlTree';

/** The written entry of a dotted field path; `resources.X` also looks inside any_of / ordered items. */
function findEntry(root: VMap, field: string): VEntry | undefined {
  const parts = field.split('.');
  let map: VMap | undefined = root;
  let entry: VEntry | undefined;
  for (let i = 0; i < parts.length && map; i++) {
    entry = entryOf(map, parts[i]);
    if (!entry && i === 1 && parts[0] === 'resources') {
      for (const alt of ['any_of', 'ordered']) {
        const items: VNode | undefined = entryOf(map, alt)?.value;
        if (items?.kind !== 'seq') continue;
        for (const it of items.items) if (it.kind === 'map' && (entry = entryOf(it, parts[i]))) break;
        if (entry) break;
      }
    }
    if (!entry) return undefined;
    map = entry.value.kind === 'map' ? entry.value : undefined;
  }
  return entry;
}

/** Whether `node` (or a substituted subtree of it) writes a key some unsupported-field warning is about. */
export function mayHaveUnsupportedField(node: VNode, replaced: Map<VNode, VNode>, depth = 0): boolean {
  if (depth > 200) return true;
  const sub = replaced.get(node);
  if (sub && sub !== node && mayHaveUnsupportedField(sub, replaced, depth + 1)) return true;
  if (node.kind === 'seq') {
    for (const it of node.items) if (mayHaveUnsupportedField(it, replaced, depth + 1)) return true;
  } else if (node.kind === 'map') {
    for (const e of node.entries) if (UNSUPPORTED_FIELD_KEYS.has(e.key) || mayHaveUnsupportedField(e.value, replaced, depth + 1)) return true;
  }
  return false;
}

export function unsupportedFieldProblems(root: VMap, plain: Plain): SchemaProblem[] {
  let task;
  try {
    task = buildTask(plain as Record<string, unknown>);
  } catch {
    return []; // a value the other rules already report
  }
  const out: SchemaProblem[] = [];
  for (const f of unsupportedFieldWarnings(task, plannedInfraOf(task))) {
    const e = findEntry(root, f.field) ?? (f.field === 'pool' ? (findEntry(root, 'service.pool') ?? findEntry(root, 'service.workers')) : undefined);
    if (!e) continue;
    out.push({ start: e.keyStart, end: e.keyEnd, message: f.message, code: 'not-honoured', severity: 'warning' });
  }
  return out;
}
