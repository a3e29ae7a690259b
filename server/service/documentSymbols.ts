/**
 * The outline: a task's keys as a hierarchy, list items named by their `name` (or first key),
 * one node per task when the file is a pipeline. Bounded in depth and count so a huge file
 * still answers.
 */
import type { DocumentSymbol } from 'vscode-languageserver-types';
import { SymbolKind } from 'vscode-languageserver-types';
import type { VNode } from '../../engine/task/yamlTree';
import type { DocumentState } from './documentState';

const MAX_SYMBOLS = 5000;

export function documentSymbols(st: DocumentState): DocumentSymbol[] {
  if (!st.isTask) return [];
  const tm = st.parse.analysis.textMap;
  let count = 0;
  // Under `secrets:` the outline names the keys and never shows a value (the outline is
  // shown, shared in screenshots and sent to other extensions).
  const symbolsOf = (node: VNode, depth: number, secret: boolean): DocumentSymbol[] => {
    if (depth > 20 || count > MAX_SYMBOLS) return [];
    const out: DocumentSymbol[] = [];
    if (node.kind === 'map') {
      for (const e of node.entries) {
        if (++count > MAX_SYMBOLS) break;
        const v = e.value;
        const hidden = secret || e.key === 'secrets';
        const full = tm.range(e.keyStart, Math.max(e.keyEnd, v.end));
        const sel = tm.range(e.keyStart, e.keyEnd);
        out.push({
          name: e.key || '""',
          detail: v.kind === 'scalar' && v.value !== null ? (hidden ? SECRET_DETAIL : shortText(String(v.value))) : undefined,
          kind: v.kind === 'map' ? SymbolKind.Module : v.kind === 'seq' ? SymbolKind.Array : hidden ? SymbolKind.String : symbolKindOf(v.value),
          range: full,
          selectionRange: sel,
          children: v.kind === 'scalar' ? [] : symbolsOf(v, depth + 1, hidden),
        });
      }
    } else if (node.kind === 'seq') {
      node.items.forEach((it, i) => {
        if (++count > MAX_SYMBOLS) return;
        const r = tm.range(it.start, it.end);
        const name = secret ? `[${i}]` : it.kind === 'map' ? (itemName(it) ?? `[${i}]`) : it.kind === 'scalar' ? shortText(String(it.value)) : `[${i}]`;
        out.push({
          name,
          kind: it.kind === 'map' ? SymbolKind.Object : SymbolKind.String,
          range: r,
          selectionRange: r,
          children: it.kind === 'scalar' ? [] : symbolsOf(it, depth + 1, secret),
        });
      });
    }
    return out;
  };
  const out: DocumentSymbol[] = [];
  const docs = st.parse.analysis.documents.filter((d) => d.map);
  for (const [i, d] of docs.entries()) {
    const children = symbolsOf(d.map as VNode, 0, false);
    if (docs.length === 1) return children;
    const nameEntry = d.map?.entries.find((e) => e.key === 'name');
    const name = nameEntry && nameEntry.value.kind === 'scalar' && nameEntry.value.value !== null ? String(nameEntry.value.value) : `task ${i + 1}`;
    const r = tm.range(d.map?.start ?? 0, d.map?.end ?? 0);
    out.push({
      name: d.kind === 'header' ? `pipeline ${name}` : name,
      kind: SymbolKind.Namespace,
      range: r,
      selectionRange: tm.range(d.map?.start ?? 0, d.map?.start ?? 0),
      children,
    });
  }
  return out;
}

/** What the outline shows in place of a secret's value. */
const SECRET_DETAIL = '(secret)';

function symbolKindOf(v: unknown): SymbolKind {
  if (typeof v === 'number') return SymbolKind.Number;
  if (typeof v === 'boolean') return SymbolKind.Boolean;
  return SymbolKind.String;
}

function itemName(m: VNode): string | undefined {
  if (m.kind !== 'map' || !m.entries.length) return undefined;
  const e = m.entries.find((x) => x.key === 'name') ?? m.entries[0];
  const v = e.value;
  return v.kind === 'scalar' ? `${e.key}: ${shortText(String(v.value))}` : e.key;
}

function shortText(s: string): string {
  const first = s.split('\n')[0];
  return first.length > 60 ? `${first.slice(0, 57)}...` : first;
}
