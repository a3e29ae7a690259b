/**
 * Hover: a config file's (and a task's `config:` block's) docs from SkyPilot's config schema;
 * in a task, the schema's docs on keys and values, the offer tables on accelerator and
 * instance type values once the catalogs are loaded, and what a container image or storage
 * URI will do.
 */
import type { Hover, Position } from 'vscode-languageserver-types';
import { MarkupKind } from 'vscode-languageserver-types';
import type { Insights } from '../../engine/optimizer/insightTypes';
import { isNullNode } from '../../engine/task/yamlTree';
import type { DocumentState } from './documentState';
import { locateNode } from './locate';
import { docOf, examplesOf, formatExample, schemaAt } from './schemaNav';
import { acceleratorHover, instanceTypeHover } from './offerHovers';
import { containerImageHover } from './containerImages';
import { configFileHover, taskConfigHover } from './configFiles';
import { storageHover } from './storageHover';
import { safe } from './advisory';

export function hover(st: DocumentState, insights: Insights | undefined, position: Position): Hover | undefined {
  if (st.isConfig) return configFileHover(st.text, position);
  if (!st.isTask) return undefined;
  const tm = st.parse.analysis.textMap;
  const offset = tm.offsetAt(position);
  const d = st.parse.analysis.documents.find((x) => x.map && x.map.start <= offset && offset <= x.map.end);
  if (!d?.map) return undefined;
  const loc = locateNode(d.map, offset);
  if (!loc) return undefined;
  const path = loc.path.map((p) => (/^\[\d+\]$/.test(p) ? '[]' : p));
  const configEntry = path[0] === 'config' && path.length > 1 ? d.map.entries.find((e) => e.key === 'config') : undefined;
  if (configEntry) return taskConfigHover(configEntry.value, tm, offset);
  if (!loc.onKey && path.includes('image_id')) {
    const container = containerImageHover(st.parse.analysis, offset);
    if (container) return container;
  }
  const schema = schemaAt(path);
  const parts: string[] = [];
  const title = path.filter((p) => p !== '[]').join('.');
  const key = path[path.length - 1];
  if (loc.onKey && loc.entry) {
    if (schema) {
      parts.push(`**${title}**`);
      const docText = docOf(schema);
      if (docText) parts.push(docText);
      const ex = examplesOf(schema).slice(0, 3);
      if (ex.length) parts.push(`Examples: ${ex.map((e) => `\`${formatExample(e)}\``).join(', ')}`);
      if (schema.deprecationMessage) parts.push(`⚠️ ${schema.deprecationMessage}`);
    }
    const r = tm.range(loc.entry.keyStart, loc.entry.keyEnd);
    return parts.length ? { contents: { kind: MarkupKind.Markdown, value: parts.join('\n\n') }, range: r } : undefined;
  }
  const node = loc.node;
  if (!node) return undefined;
  // Values: offers for accelerators / instance types, else the field's docs.
  const inAcc = path.includes('accelerators') || path.includes('gpus');
  if (insights && node.kind === 'scalar' && inAcc) {
    const text = typeof node.value === 'string' ? node.value : undefined;
    if (text) {
      const [name, count] = text.split(':');
      const md = safe(() => acceleratorHover(insights, name.trim(), count ? Number(count) : undefined));
      if (md) return { contents: { kind: MarkupKind.Markdown, value: md }, range: tm.range(node.start, node.end) };
    }
  }
  if (insights && inAcc && node.kind === 'map' && loc.entry) {
    // Flow / block mapping of accelerators: hover the key under the cursor.
    const e = node.entries.find((x) => offset >= x.keyStart && offset <= x.keyEnd);
    if (e) {
      const [name, count] = e.key.split(':');
      const cnt = e.value.kind === 'scalar' && typeof e.value.value === 'number' ? e.value.value : count ? Number(count) : undefined;
      const md = safe(() => acceleratorHover(insights, name.trim(), cnt));
      if (md) return { contents: { kind: MarkupKind.Markdown, value: md }, range: tm.range(e.keyStart, e.keyEnd) };
    }
  }
  if (insights && key === 'instance_type' && node.kind === 'scalar' && typeof node.value === 'string') {
    const instanceType = node.value;
    const md = safe(() => instanceTypeHover(insights, instanceType));
    if (md) return { contents: { kind: MarkupKind.Markdown, value: md }, range: tm.range(node.start, node.end) };
  }
  const storageMd = node.kind === 'scalar' && typeof node.value === 'string' ? storageHover(path, node.value) : undefined;
  if (storageMd && node.kind === 'scalar') return { contents: { kind: MarkupKind.Markdown, value: storageMd }, range: tm.range(node.start, node.end) };
  if (node.kind === 'scalar' && schema && !isNullNode(node)) {
    const docText = docOf(schema);
    if (docText) return { contents: { kind: MarkupKind.Markdown, value: `**${title}**\n\n${docText}` }, range: tm.range(node.start, node.end) };
  }
  return undefined;
}
