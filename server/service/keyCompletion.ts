/**
 * Key completion: the schema's keys for the block at the cursor, with their docs, a snippet
 * shaped like the value (block scalar, mapping, list of mappings, enum choice), the schema's
 * own snippets, and whole-task snippets at the top level. Deprecated keys sort last.
 */
import type { CompletionItem, Range } from 'vscode-languageserver-types';
import { CompletionItemKind, InsertTextFormat, MarkupKind } from 'vscode-languageserver-types';
import type { JSONSchema } from '../../engine/task/schema/jsonSchema';
import { docOf, enumValues, resolve, valueShape } from './schemaNav';
import { yamlSnippet } from './snippets';

export function keyItems(obj: JSONSchema, path: string[], present: Set<string>, range: Range): CompletionItem[] {
  const items: CompletionItem[] = [];
  const props = obj.properties ?? {};
  for (const [key, ps0] of Object.entries(props)) {
    if (key.startsWith('_') || present.has(key)) continue;
    const ps = resolve(ps0);
    if (/^internal\.?$/i.test(ps.description ?? '')) continue;
    const shape = valueShape(ps);
    let insert: string;
    if (key === 'run' || key === 'setup') insert = `${key}: |\n  $0`;
    else if (shape === 'object') insert = `${key}:\n  $0`;
    else if (shape === 'array-of-objects') insert = `${key}:\n  - $0`;
    else {
      const values = enumValues(ps);
      insert = values.length > 1 && values.length <= 12 && !values.includes('true') ? `${key}: \${1|${values.join(',')}|}` : `${key}: $0`;
    }
    const docText = docOf(ps);
    items.push({
      label: key,
      kind: CompletionItemKind.Property,
      detail: ps.deprecationMessage ? 'deprecated' : detailOf(ps),
      documentation: docText ? { kind: MarkupKind.Markdown, value: docText } : undefined,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: { range, newText: insert },
      sortText: `${ps.deprecationMessage ? '9' : '1'}${key}`,
      tags: ps.deprecationMessage ? [1] : undefined,
    });
    for (const sn of ps.defaultSnippets ?? []) {
      if (sn.bodyText !== undefined) {
        items.push({
          label: sn.label ?? key,
          kind: CompletionItemKind.Snippet,
          insertTextFormat: InsertTextFormat.Snippet,
          textEdit: { range, newText: `${key}: ${sn.bodyText}` },
          documentation: sn.description,
          sortText: `2${key}`,
        });
      } else if (sn.body !== undefined) {
        items.push({
          label: sn.label ?? key,
          kind: CompletionItemKind.Snippet,
          insertTextFormat: InsertTextFormat.Snippet,
          textEdit: { range, newText: `${key}:\n${yamlSnippet(sn.body, '  ')}` },
          documentation: sn.description,
          sortText: `2${key}`,
        });
      }
    }
  }
  if (path.length === 0) {
    // Whole-block snippets for a new task.
    items.push({
      label: 'task: GPU job',
      kind: CompletionItemKind.Snippet,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: {
        range,
        newText:
          'name: ${1:my-task}\n\nresources:\n  accelerators: ${2:A100:1}\n\nsetup: |\n  ${3:pip install -r requirements.txt}\n\nrun: |\n  ${4:python train.py}\n',
      },
      documentation: 'A task with a GPU, setup and run.',
      sortText: '3task',
    });
    items.push({
      label: 'task: service',
      kind: CompletionItemKind.Snippet,
      insertTextFormat: InsertTextFormat.Snippet,
      textEdit: {
        range,
        newText:
          'service:\n  readiness_probe: ${1:/health}\n  replicas: ${2:2}\n\nresources:\n  accelerators: ${3:L4:1}\n  ports: ${4:8080}\n\nrun: |\n  ${5:python -m http.server 8080}\n',
      },
      documentation: 'A served model: readiness probe, replicas, port.',
      sortText: '3service',
    });
  }
  return items;
}

function detailOf(s: JSONSchema): string | undefined {
  const r = resolve(s);
  if (r.type) return Array.isArray(r.type) ? r.type.filter((t) => t !== 'null').join(' | ') : r.type;
  if (r.anyOf) {
    const ts = r.anyOf
      .map((a) => resolve(a))
      .map((a) => (a.type ? (Array.isArray(a.type) ? a.type.join(' | ') : a.type) : a.properties ? 'object' : ''))
      .filter((t) => t && t !== 'null');
    return [...new Set(ts)].join(' | ') || undefined;
  }
  return undefined;
}
