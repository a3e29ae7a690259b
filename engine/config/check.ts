/**
 * Checks one config source against SkyPilot's config schema (engine/task/schema/configSchema.ts)
 * with the task validator's walker, so every problem sits on the exact node with its line: the
 * CLI prints `file:line:col`, the editor puts a diagnostic there. Also SkyPilot's rules the
 * schema cannot say: duplicate keys, `custom_metadata` without name/namespace, and for a task's
 * `config:` block only the keys SkyPilot lets a task override.
 */
import { configSchema } from '../task/schema/configSchema';
import { TASK_OVERRIDABLE_CONFIG } from '../task/schema/taskSchema';
import { validateNode, type WalkContext } from '../task/schema/validator';
import { parseYamlDocuments, toPlain, TextMap, type VMap, type VNode } from '../task/yamlTree';
import { isConfigMap, pathKey, type ConfigMap, type ConfigProblem, type Origins } from './types';

/** What a task's `config:` may set: one list, beside the task schema that closes `config:` to it. */
export const TASK_OVERRIDABLE_KEYS = TASK_OVERRIDABLE_CONFIG;

export interface CheckedSource {
  value: ConfigMap;
  origins: Origins;
  problems: ConfigProblem[];
}

export interface CheckOptions {
  /** 'task': a task's `config:` mapping (only overridable keys, plus `hooks`). */
  scope?: 'file' | 'task';
}

function problem(
  source: string,
  textMap: TextMap | undefined,
  start: number,
  end: number,
  message: string,
  code: string,
  severity: 'error' | 'warning' = 'error',
): ConfigProblem {
  const pos = textMap?.positionAt(start);
  return { source, start, end, message, code, severity, ...(pos ? { line: pos.line + 1, column: pos.character + 1 } : {}) };
}

function leafLines(node: VNode, path: string[], textMap: TextMap, source: string, out: Origins): void {
  if (node.kind === 'map' && node.entries.length) {
    for (const e of node.entries) leafLines(e.value, [...path, e.key], textMap, source, out);
    return;
  }
  out.set(pathKey(path), [{ source, line: textMap.positionAt(node.start).line + 1 }]);
}

function duplicateKeys(node: VNode, report: (start: number, end: number, message: string) => void, textMap: TextMap): void {
  if (node.kind === 'seq') node.items.forEach((n) => duplicateKeys(n, report, textMap));
  if (node.kind !== 'map') return;
  const seen = new Map<string, number>();
  for (const e of node.entries) {
    const first = seen.get(e.key);
    if (first !== undefined) report(e.keyStart, e.keyEnd, `Duplicate key '${e.key}' (first defined on line ${textMap.positionAt(first).line + 1}).`);
    else seen.set(e.key, e.keyStart);
    duplicateKeys(e.value, report, textMap);
  }
}

function mapAt(node: VNode | undefined, key: string): VMap | undefined {
  if (node?.kind !== 'map') return undefined;
  const e = [...node.entries].reverse().find((x) => x.key === key);
  return e?.value.kind === 'map' ? e.value : undefined;
}

/** custom_metadata may not rename or move objects (SkyPilot's schema: not name, not namespace). */
function customMetadataRule(root: VNode, report: (start: number, end: number, message: string) => void): void {
  const blocks: { map: VMap; where: string }[] = [];
  for (const cloud of ['kubernetes', 'ssh']) {
    const c = mapAt(root, cloud);
    const direct = mapAt(c, 'custom_metadata');
    if (direct) blocks.push({ map: direct, where: `${cloud}.custom_metadata` });
    const ctxs = mapAt(c, 'context_configs');
    for (const e of ctxs?.entries ?? []) {
      const m = mapAt(e.value, 'custom_metadata');
      if (m) blocks.push({ map: m, where: `${cloud}.context_configs.${e.key}.custom_metadata` });
    }
  }
  for (const { map, where } of blocks) {
    for (const e of map.entries) {
      if (e.key === 'name' || e.key === 'namespace')
        report(
          e.keyStart,
          e.keyEnd,
          `${where} cannot set '${e.key}': SkyPilot names the objects it creates${e.key === 'namespace' ? ' (use kubernetes.namespace)' : ''}.`,
        );
    }
  }
}

/** Keys of a task's `config:` that SkyPilot does not let a task override. */
function taskScopeRule(root: VNode, report: (start: number, end: number, message: string) => void): void {
  if (root.kind !== 'map') return;
  for (const top of root.entries) {
    if (top.key === 'hooks') continue;
    const allowed = TASK_OVERRIDABLE_KEYS.filter((k) => k[0] === top.key);
    if (allowed.some((k) => k.length === 1)) continue;
    if (!allowed.length) {
      report(
        top.keyStart,
        top.keyEnd,
        `'${top.key}' cannot be set in a task's config: (SkyPilot allows ${[...new Set(TASK_OVERRIDABLE_KEYS.map((k) => k[0]))].join(', ')}, hooks). Put it in ~/.sky/config.yaml or .sky.yaml.`,
      );
      continue;
    }
    if (top.value.kind !== 'map') continue;
    for (const e of top.value.entries) {
      if (!allowed.some((k) => k[1] === e.key)) {
        report(
          e.keyStart,
          e.keyEnd,
          `'${top.key}.${e.key}' cannot be set in a task's config: (a task may set ${allowed.map((k) => k.join('.')).join(', ')}). Put it in ~/.sky/config.yaml or .sky.yaml.`,
        );
      }
    }
  }
}

function hookRule(root: VNode, report: (start: number, end: number, message: string) => void, scope: 'file' | 'task'): void {
  if (scope !== 'file' || root.kind !== 'map') return;
  const hooks = root.entries.find((e) => e.key === 'hooks');
  if (hooks) report(hooks.keyStart, hooks.keyEnd, "'hooks' belongs in a task's config: block, not in a config file.");
}

/** Checks a config source's text. `source` names it in problems and provenance. */
export function checkConfigText(text: string, source: string, options: CheckOptions = {}): CheckedSource {
  const { docs, textMap } = parseYamlDocuments(text, { fastPath: false });
  const problems: ConfigProblem[] = [];
  for (const d of docs) for (const p of d.problems) problems.push(problem(source, textMap, p.start, p.end, p.message, 'yaml', p.severity));
  if (docs.length > 1) problems.push(problem(source, textMap, docs[1].start, docs[1].end, 'A config file has one YAML document.', 'multi-document'));
  const checked = checkConfigNode(docs[0]?.root, textMap, source, options);
  return { ...checked, problems: [...problems, ...checked.problems] };
}

/** Checks a parsed config mapping (a file's root, or the `config:` node of a task file). */
export function checkConfigNode(root: VNode | undefined, textMap: TextMap, source: string, options: CheckOptions = {}): CheckedSource {
  const scope = options.scope ?? 'file';
  const problems: ConfigProblem[] = [];
  const origins: Origins = new Map();
  if (!root || (root.kind === 'scalar' && root.value === null)) return { value: {}, origins, problems };
  if (root.kind !== 'map') {
    const what = scope === 'task' ? "A task's config:" : 'A config file';
    problems.push(problem(source, textMap, root.start, root.end, `${what} is a mapping of keys (e.g. \`kubernetes:\`), not a list or a value.`, 'type'));
    return { value: {}, origins, problems };
  }
  const report = (start: number, end: number, message: string) => problems.push(problem(source, textMap, start, end, message, 'config-rule'));
  duplicateKeys(root, report, textMap);
  // A task's config: may also hold `hooks` (the task schema checks their shape).
  const schema = scope === 'task' ? { ...configSchema, properties: { ...configSchema.properties, hooks: { type: 'array' as const } } } : configSchema;
  const ctx: WalkContext = { root: schema, problems: [] };
  validateNode(ctx, root, schema, { path: scope === 'task' ? ['config'] : [], keyStart: root.start, keyEnd: root.start });
  for (const p of ctx.problems) problems.push(problem(source, textMap, p.start, p.end, p.message, p.code, p.severity));
  customMetadataRule(root, report);
  if (scope === 'task') taskScopeRule(root, report);
  hookRule(root, report, scope);
  leafLines(root, [], textMap, source, origins);
  const value = toPlain(root);
  return { value: isConfigMap(value) ? (value as ConfigMap) : {}, origins, problems };
}

/** `file:line:col: message` lines, as a compiler prints them. */
export function formatProblems(problems: ConfigProblem[]): string {
  return problems.map((p) => `${p.source}${p.line !== undefined ? `:${p.line}:${p.column}` : ''}: ${p.severity}: ${p.message}`).join('\n');
}
