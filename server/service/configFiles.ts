/**
 * SkyPilot config files in the editor: `.sky.yaml`, `~/.sky/config.yaml`,
 * `SKYDECK_HOME/config.yaml` (and files named by SKYPILOT_GLOBAL_CONFIG / SKYPILOT_PROJECT_CONFIG),
 * plus a task's `config:` block. Same checks as the CLI (engine/config/check.ts: SkyPilot's config
 * schema, exact node), a warning on every key SkyDeck will not act on, and hover and completion
 * from the config schema. Pure functions of the text, like the task service.
 */
import type { CompletionItem, Diagnostic, Hover, Position, Range } from 'vscode-languageserver-types';
import { CompletionItemKind, DiagnosticSeverity, InsertTextFormat, MarkupKind } from 'vscode-languageserver-types';
import { checkConfigNode, checkConfigText } from '../../engine/config/check';
import { unhonouredWarnings } from '../../engine/config/honoured';
import { isConfigFilePath } from '../../engine/config/sources';
import type { ConfigProblem } from '../../engine/config/types';
import { configSchema } from '../../engine/task/schema/configSchema';
import type { JSONSchema } from '../../engine/task/schema/jsonSchema';
import { parseYamlDocuments, type TextMap, type VMap, type VNode } from '../../engine/task/yamlTree';
import { completionContext, locateNode } from './locate';
import { branch, docOf, enumValues, examplesOf, formatExample, resolve, schemaAt, valueShape } from './schemaNav';

export { isConfigFilePath };

function toDiagnostic(p: ConfigProblem, tm: TextMap): Diagnostic {
  return {
    range: tm.range(p.start, p.end),
    severity: p.severity === 'error' ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
    message: p.message,
    code: p.code,
    source: 'skydeck',
  };
}

/** The key node of a dotted path inside `root` (for warnings placed on the key). */
function keyRange(root: VNode, path: string[], tm: TextMap): Range | undefined {
  let cur: VNode = root;
  let range: Range | undefined;
  for (const k of path) {
    if (cur.kind !== 'map') return range;
    const e: VMap['entries'][number] | undefined = [...cur.entries].reverse().find((x) => x.key === k);
    if (!e) return range;
    range = tm.range(e.keyStart, e.keyEnd);
    cur = e.value;
  }
  return range;
}

function unhonoured(
  root: VNode,
  value: Parameters<typeof unhonouredWarnings>[0],
  origins: Parameters<typeof unhonouredWarnings>[1],
  tm: TextMap,
  prefix: string[],
): Diagnostic[] {
  return unhonouredWarnings(value, origins).flatMap((w) => {
    const range = keyRange(root, w.key.split('.'), tm);
    return range
      ? [
          {
            range,
            severity: DiagnosticSeverity.Warning,
            code: 'config-not-honoured',
            source: 'skydeck',
            message: w.message.replace(/ \([^)]*:\d+\)/, '').replace(`'${w.key}'`, `'${[...prefix, w.key].join('.')}'`),
          },
        ]
      : [];
  });
}

/** Diagnostics of a whole config file. */
export function configFileDiagnostics(text: string, fileName: string): Diagnostic[] {
  const { docs, textMap } = parseYamlDocuments(text, { fastPath: false });
  const checked = checkConfigText(text, fileName);
  const out = checked.problems.map((p) => toDiagnostic(p, textMap));
  const root = docs[0]?.root;
  if (root && !checked.problems.some((p) => p.severity === 'error')) out.push(...unhonoured(root, checked.value, checked.origins, textMap, []));
  return out;
}

/** Diagnostics of a task's `config:` node (the task schema already checked its top level). */
export function taskConfigDiagnostics(node: VNode, tm: TextMap, fileName: string): Diagnostic[] {
  const checked = checkConfigNode(node, tm, fileName, { scope: 'task' });
  const out = checked.problems.map((p) => toDiagnostic(p, tm));
  if (!checked.problems.some((p) => p.severity === 'error')) {
    const { hooks: _hooks, ...value } = checked.value;
    out.push(...unhonoured(node, value, checked.origins, tm, ['config']));
  }
  return out;
}

function hoverAt(root: VNode | undefined, tm: TextMap, offset: number, schemaRoot: JSONSchema, prefix: string[]): Hover | undefined {
  const loc = locateNode(root, offset);
  if (!loc) return undefined;
  const path = loc.path.map((p) => (/^\[\d+\]$/.test(p) ? '[]' : p));
  const schema = schemaAt(path, schemaRoot);
  if (!schema) return undefined;
  const title = [...prefix, ...path.filter((p) => p !== '[]')].join('.');
  const parts = [`**${title}**`];
  const doc = docOf(schema);
  if (doc) parts.push(doc);
  const ex = examplesOf(schema).slice(0, 3);
  if (ex.length) parts.push(`Examples: ${ex.map((e) => `\`${formatExample(e)}\``).join(', ')}`);
  const range = loc.onKey && loc.entry ? tm.range(loc.entry.keyStart, loc.entry.keyEnd) : loc.node ? tm.range(loc.node.start, loc.node.end) : undefined;
  return { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n') }, ...(range ? { range } : {}) };
}

/** Hover in a config file: the key's SkyPilot documentation and examples. */
export function configFileHover(text: string, position: Position): Hover | undefined {
  const { docs, textMap } = parseYamlDocuments(text, { fastPath: false });
  return hoverAt(docs[0]?.root, textMap, textMap.offsetAt(position), configSchema, []);
}

/** Hover inside a task's `config:` block (`path` starts with 'config'). */
export function taskConfigHover(configNode: VNode, tm: TextMap, offset: number): Hover | undefined {
  return hoverAt(configNode, tm, offset, configSchema, ['config']);
}

function keyItems(obj: JSONSchema, range: Range, present: Set<string>): CompletionItem[] {
  return Object.entries(obj.properties ?? {})
    .filter(([k]) => !present.has(k))
    .map(([key, ps0]) => {
      const ps = resolve(ps0);
      const shape = valueShape(ps);
      const insert = shape === 'object' ? `${key}:\n  $0` : shape === 'array-of-objects' ? `${key}:\n  - $0` : `${key}: $0`;
      const doc = docOf(ps);
      return {
        label: key,
        kind: CompletionItemKind.Property,
        documentation: doc ? { kind: MarkupKind.Markdown, value: doc } : undefined,
        insertTextFormat: InsertTextFormat.Snippet,
        textEdit: { range, newText: insert },
        sortText: `1${key}`,
      };
    });
}

function valueItems(schema: JSONSchema, range: Range): CompletionItem[] {
  const values = enumValues(schema);
  const labels = values.length
    ? values
    : examplesOf(schema)
        .filter((e) => typeof e !== 'object' || e === null)
        .map(formatExample);
  return [...new Set(labels)].map((label) => ({ label, kind: CompletionItemKind.Value, textEdit: { range, newText: label }, sortText: `1${label}` }));
}

/**
 * Completion at `offset` of `text`, with paths relative to `base` (the task's `config:` key path,
 * or [] for a config file).
 */
export function configCompletion(text: string, tm: TextMap, offset: number, base: string[] = []): CompletionItem[] {
  const ctx = completionContext(text, offset);
  if (ctx.kind === 'none') return [];
  if (base.some((k, i) => ctx.path[i] !== k)) return [];
  const path = ctx.path.slice(base.length);
  const range: Range = { start: tm.positionAt(ctx.replaceStart), end: tm.positionAt(offset) };
  if (ctx.kind === 'key') {
    const parent = path.length ? schemaAt(path, configSchema) : configSchema;
    const obj = parent ? branch(parent, 'object') : undefined;
    if (!obj) return [];
    const present = new Set<string>();
    const { docs } = parseYamlDocuments(text, { fastPath: false });
    let cur: VNode | undefined = docs[0]?.root;
    for (const k of [...base, ...path]) cur = cur?.kind === 'map' ? [...cur.entries].reverse().find((e) => e.key === k)?.value : undefined;
    if (cur?.kind === 'map') for (const e of cur.entries) if (!(offset >= e.keyStart && offset <= e.keyEnd)) present.add(e.key);
    return keyItems(obj, range, present);
  }
  const schema = schemaAt(path, configSchema);
  return schema ? valueItems(schema, range) : [];
}

/** Completion in a config file. */
export function configFileCompletion(text: string, position: Position): CompletionItem[] {
  const { textMap } = parseYamlDocuments(text, { fastPath: false });
  return configCompletion(text, textMap, textMap.offsetAt(position));
}
