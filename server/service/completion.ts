/**
 * Completion: in a config file (and a task's `config:` block) from SkyPilot's config schema;
 * in a task, keys the block does not have yet (keyCompletion.ts), or values
 * (valueCompletion.ts) and storage URIs, chosen by where the cursor is (locate.ts).
 */
import type { CompletionItem, Position, Range } from 'vscode-languageserver-types';
import { CompletionItemKind } from 'vscode-languageserver-types';
import type { Insights } from '../../engine/optimizer/insightTypes';
import type { DocumentState } from './documentState';
import { completionContext } from './locate';
import { branch, ROOT_SCHEMA, schemaAt } from './schemaNav';
import { configCompletion, configFileCompletion } from './configFiles';
import { storageUriCompletions } from './storageCompletion';
import { keyItems } from './keyCompletion';
import { valueItems } from './valueCompletion';

export function complete(st: DocumentState, insights: Insights | undefined, position: Position): CompletionItem[] {
  if (st.isConfig) return configFileCompletion(st.text, position);
  if (!st.isTask) return [];
  const tm = st.parse.analysis.textMap;
  const offset = tm.offsetAt(position);
  const ctx = completionContext(st.text, offset);
  if (ctx.kind === 'none') return [];
  if (ctx.path[0] === 'config') return configCompletion(st.text, tm, offset, ['config']);
  const replace = (_partial: string): Range => ({ start: tm.positionAt(ctx.replaceStart), end: position });
  if (ctx.kind === 'key') {
    const parentSchema = ctx.path.length ? schemaAt(ctx.path) : ROOT_SCHEMA;
    if (!parentSchema) return [];
    // `- foo` in a list of scalars: complete the item as a value.
    const obj = branch(parentSchema, 'object');
    if (!obj) {
      const last = ctx.path[ctx.path.length - 1];
      if (last === '[]') {
        const itemSchema = schemaAt(ctx.path);
        const listKeyPath = ctx.path.slice(0, -1);
        if (itemSchema) return valueItems(insights, listKeyPath, itemSchema, ctx.partial, replace(ctx.partial), false);
      }
      return [];
    }
    const present = siblingKeys(st, offset, ctx.indent);
    return keyItems(obj, ctx.path, present, replace(ctx.partial));
  }
  const uris = storageUriCompletions(ctx.path, ctx.partial);
  if (uris?.length)
    return uris.map((u) => ({
      label: u.label,
      kind: CompletionItemKind.Value,
      detail: u.detail,
      textEdit: { range: replace(ctx.partial), newText: u.label },
    }));
  const schema = schemaAt(ctx.path);
  if (!schema) return [];
  return valueItems(insights, ctx.path, schema, ctx.partial, replace(ctx.partial), ctx.flow);
}

function siblingKeys(st: DocumentState, offset: number, indent: number): Set<string> {
  // Keys already written at this indentation in the same block (scan up and down).
  const out = new Set<string>();
  const lines = st.text.split('\n');
  const lineNo = st.parse.analysis.textMap.positionAt(offset).line;
  const scan = (from: number, step: number) => {
    for (let i = from; i >= 0 && i < lines.length; i += step) {
      const line = lines[i];
      if (!line.trim() || line.trimStart().startsWith('#')) continue;
      const ind = line.length - line.trimStart().length;
      if (ind < indent) break;
      if (ind === indent) {
        const m = /^\s*([^\s:#][^:#]*?)\s*:(?:\s|$)/.exec(line);
        if (m) out.add(m[1]);
        if (line.trimStart().startsWith('- ')) break;
      }
    }
  };
  scan(lineNo - 1, -1);
  scan(lineNo + 1, 1);
  return out;
}
