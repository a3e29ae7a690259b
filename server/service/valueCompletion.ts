/**
 * Value completion: priced accelerators, regions and instance types from the catalogs once
 * they are loaded (common accelerators and the clouds before), `infra` as cloud then
 * cloud/region, else the schema's enum values or examples.
 */
import type { CompletionItem, Range } from 'vscode-languageserver-types';
import { CompletionItemKind, MarkupKind } from 'vscode-languageserver-types';
import type { Insights, PricedCompletion } from '../../engine/optimizer/insightTypes';
import type { JSONSchema } from '../../engine/task/schema/jsonSchema';
import { CLOUDS } from '../../engine/task/values';
import { docOf, enumValues, examplesOf, formatExample } from './schemaNav';
import { COMMON_ACCELERATORS } from './snippets';
import { safe } from './advisory';

export function valueItems(insights: Insights | undefined, path: string[], schema: JSONSchema, partial: string, range: Range, flow: boolean): CompletionItem[] {
  const key = [...path].reverse().find((p) => !/^\[/.test(p));
  const items: CompletionItem[] = [];
  const add = (label: string, kind: CompletionItemKind, detail?: string, documentation?: string, sortText?: string) => {
    items.push({
      label,
      kind,
      detail,
      documentation: documentation ? { kind: MarkupKind.Markdown, value: documentation } : undefined,
      textEdit: { range, newText: label },
      sortText: sortText ?? `1${label}`,
    });
  };
  const fromPriced = (list: PricedCompletion[]) => {
    for (const p of list)
      items.push({
        label: p.label,
        kind: CompletionItemKind.Value,
        detail: p.detail,
        documentation: p.documentation ? { kind: MarkupKind.Markdown, value: p.documentation } : undefined,
        textEdit: { range, newText: p.label },
        sortText: p.sortText ?? `0${p.label}`,
      });
  };
  if (key === 'accelerators' || key === 'gpus') {
    const priced = insights ? safe(() => insights?.completeAccelerators()) : undefined;
    if (priced?.length) fromPriced(priced);
    else for (const a of COMMON_ACCELERATORS) add(flow ? a : `${a}:1`, CompletionItemKind.Value, 'accelerator');
    return items;
  }
  if (key === 'infra') {
    const slash = partial.indexOf('/');
    if (slash > 0 && insights) {
      const cloud = partial.slice(0, slash).toLowerCase() === 'k8s' ? 'kubernetes' : partial.slice(0, slash).toLowerCase();
      const regions = safe(() => insights?.completeRegions(cloud)) ?? [];
      fromPriced(regions.map((r) => ({ ...r, label: r.label.includes('/') ? r.label : `${cloud}/${r.label}` })));
      return items;
    }
    for (const c of CLOUDS) if (c !== 'kubernetes') add(c, CompletionItemKind.EnumMember, 'cloud');
    add('k8s', CompletionItemKind.EnumMember, 'Kubernetes (current context)');
    return items;
  }
  if (key === 'cloud') {
    for (const c of CLOUDS) add(c, CompletionItemKind.EnumMember, 'cloud');
    return items;
  }
  if (key === 'instance_type' && insights) {
    const cloud = undefined;
    const list = safe(() => insights?.completeInstanceTypes(cloud)) ?? [];
    fromPriced(list);
    if (items.length) return items;
  }
  if (key === 'region' && insights) {
    for (const c of ['aws', 'gcp', 'azure']) fromPriced(safe(() => insights?.completeRegions(c)) ?? []);
    if (items.length) return items;
  }
  const values = enumValues(schema);
  for (const v of values) add(v, CompletionItemKind.EnumMember, undefined, describeEnum(schema));
  if (!values.length) {
    for (const ex of examplesOf(schema))
      if (typeof ex !== 'object' || ex === null) add(formatExample(ex), CompletionItemKind.Value, 'example', undefined, `5${formatExample(ex)}`);
  }
  return items;
}

function describeEnum(s: JSONSchema): string | undefined {
  return docOf(s);
}
