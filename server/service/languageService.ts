/**
 * The SkyDeck task language service: pure functions of a document (uri, version, text) and
 * settings; no LSP connection, no VS Code. Parses once per document version (cached),
 * decides whether the YAML is a task (modeline, globs, content), and answers diagnostics,
 * completion, hover, outline, quick fixes and cost lenses. Catalog insights are optional
 * and may arrive later (setInsights). Nothing from the file is ever executed.
 */
import type { CodeAction, CodeLens, CompletionItem, Diagnostic, DocumentSymbol, Hover, Position, Range } from 'vscode-languageserver-types';
import { CodeActionKind, CompletionItemKind, DiagnosticSeverity, InsertTextFormat, MarkupKind, SymbolKind } from 'vscode-languageserver-types';
import type { TaskDiagnostic } from '../../engine/task/diagnostics';
import { parseTaskText, type ParseResult } from '../../engine/task/load';
import { CLOUDS } from '../../engine/task/values';
import type { Insights, PricedCompletion, ResourcesSite } from '../../engine/optimizer/insightTypes';
import { isNullNode, type VNode } from '../../engine/task/yamlTree';
import { completionContext, locateNode } from './locate';
import { branch, docOf, enumValues, examplesOf, formatExample, resolve, ROOT_SCHEMA, schemaAt, valueShape } from './schemaNav';
import { costLenses, offerViewRows, type ShowOffersArgs } from './costLens';
import { acceleratorHover, instanceTypeHover } from './offerHovers';
import { resourcesSites } from './sites';
import { containerImageDiagnostics, containerImageHover } from './containerImages';
import {
  configCompletion,
  configFileCompletion,
  configFileDiagnostics,
  configFileHover,
  isConfigFilePath,
  taskConfigDiagnostics,
  taskConfigHover,
} from './configFiles';
import { COMMON_ACCELERATORS, yamlSnippet } from './snippets';
import { storageDiagnostics } from './storageDiagnostics';
import { storageHover } from './storageHover';
import { storageUriCompletions } from './storageCompletion';
import type { JSONSchema } from '../../engine/task/schema/jsonSchema';

export interface TextDocumentLike {
  uri: string;
  version: number;
  getText(): string;
}

export interface ServiceSettings {
  /** `skydeck.taskFiles`: globs of files that are always tasks. */
  taskFiles?: string[];
}

export interface DocumentState {
  uri: string;
  version: number;
  text: string;
  parse: ParseResult;
  isTask: boolean;
  /** A SkyPilot config file (.sky.yaml, ~/.sky/config.yaml, ...): never a task (configFiles.ts). */
  isConfig: boolean;
  /** Diagnostics incl. insights, in LSP form (cached). */
  diagnostics?: Diagnostic[];
  /** Where resources are requested (cached: diagnostics and lenses both need them). */
  sites?: ResourcesSite[];
}

const SEVERITY: Record<TaskDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

const MAX_SYMBOLS = 5000;

export class TaskLanguageService {
  private readonly cache = new Map<string, DocumentState>();
  private settings: ServiceSettings = {};
  private insights?: Insights;

  constructor(options: { insights?: Insights; settings?: ServiceSettings } = {}) {
    this.insights = options.insights;
    if (options.settings) this.settings = options.settings;
  }

  configure(settings: ServiceSettings): void {
    this.settings = { ...settings };
    this.cache.clear();
  }

  setInsights(insights: Insights | undefined): void {
    this.insights = insights;
    for (const st of this.cache.values()) st.diagnostics = undefined;
  }

  hasInsights(): boolean {
    return this.insights !== undefined;
  }

  close(uri: string): void {
    this.cache.delete(uri);
  }

  /** Parsed state of a document version (cached by uri + version). */
  state(doc: TextDocumentLike): DocumentState {
    const cached = this.cache.get(doc.uri);
    if (cached && cached.version === doc.version) return cached;
    const text = doc.getText();
    if (cached && cached.text === text) {
      cached.version = doc.version;
      return cached;
    }
    const fileName = uriToPath(doc.uri);
    const parse = parseTaskText(text, { fileName, taskFiles: this.settings.taskFiles, buildTasks: false });
    const isConfig = isConfigFilePath(fileName);
    const st: DocumentState = { uri: doc.uri, version: doc.version, text, parse, isTask: parse.isTask && !isConfig, isConfig };
    this.cache.set(doc.uri, st);
    return st;
  }

  isTask(doc: TextDocumentLike): boolean {
    return this.state(doc).isTask;
  }

  /** The file's diagnostics in our own shape (the `skydeck validate --json` shape), insights included. */
  taskDiagnostics(doc: TextDocumentLike): TaskDiagnostic[] {
    const st = this.state(doc);
    if (!st.isTask) return [];
    const out = [...st.parse.diagnostics];
    if (this.insights && !out.some((d) => d.severity === 'error' && d.code === 'yaml-syntax')) {
      try {
        for (const d of this.insights.diagnostics(this.sites(st))) {
          const td: TaskDiagnostic = { severity: d.severity, message: d.message, code: d.code, range: d.range };
          if (d.fixes?.length) td.fixes = d.fixes.map((f) => ({ title: f.title, edits: [{ range: f.range, newText: f.newText }] }));
          out.push(td);
        }
      } catch {
        // Insights are advisory: a failure there must not hide the task's own diagnostics.
      }
    }
    return out;
  }

  diagnostics(doc: TextDocumentLike): Diagnostic[] {
    const st = this.state(doc);
    if (st.diagnostics) return st.diagnostics;
    if (st.isConfig) return (st.diagnostics = configFileDiagnostics(st.text, uriToPath(doc.uri)));
    st.diagnostics = this.taskDiagnostics(doc).map((d) => ({
      range: d.range,
      severity: SEVERITY[d.severity],
      message: d.message,
      code: d.code,
      source: 'skydeck',
      ...(d.code === 'deprecated' ? { tags: [2] } : {}),
    }));
    if (st.isTask) st.diagnostics.push(...this.configBlockDiagnostics(st, st.diagnostics), ...containerImageDiagnostics(st.parse.analysis));
    if (st.isTask) st.diagnostics.push(...(safe(() => storageDiagnostics(st.parse.analysis.documents, st.parse.analysis.textMap)) ?? []));
    return st.diagnostics;
  }

  /** A task's `config:` against SkyPilot's config schema (configFiles.ts), minus what the task schema already said. */
  private configBlockDiagnostics(st: DocumentState, have: Diagnostic[]): Diagnostic[] {
    const tm = st.parse.analysis.textMap;
    const out: Diagnostic[] = [];
    for (const d of st.parse.analysis.documents) {
      const entry = d.map?.entries.find((e) => e.key === 'config');
      if (!entry) continue;
      for (const diag of taskConfigDiagnostics(entry.value, tm, uriToPath(st.uri))) {
        if (!have.some((h) => h.range.start.line === diag.range.start.line && h.range.start.character === diag.range.start.character)) out.push(diag);
      }
    }
    return out;
  }

  codeActions(doc: TextDocumentLike, range: Range): CodeAction[] {
    const st = this.state(doc);
    if (!st.isTask) return [];
    const out: CodeAction[] = [];
    for (const d of this.taskDiagnostics(doc)) {
      if (!d.fixes?.length || !overlaps(d.range, range)) continue;
      for (const fix of d.fixes) {
        out.push({
          title: fix.title,
          kind: CodeActionKind.QuickFix,
          isPreferred: d.fixes.length === 1,
          diagnostics: [{ range: d.range, severity: SEVERITY[d.severity], message: d.message, code: d.code, source: 'skydeck' }],
          edit: { changes: { [doc.uri]: fix.edits } },
        });
      }
    }
    return out;
  }

  codeLenses(doc: TextDocumentLike): CodeLens[] {
    const st = this.state(doc);
    if (!st.isTask || !this.insights) return [];
    let sites;
    try {
      sites = this.sites(st);
    } catch {
      return [];
    }
    return costLenses(doc.uri, sites, this.insights);
  }

  private sites(st: DocumentState): ResourcesSite[] {
    return (st.sites ??= resourcesSites(st.parse.analysis));
  }

  /** The offers view's rows for a clicked cost lens (empty until the catalogs are loaded). */
  offerRows(args: ShowOffersArgs): Record<string, unknown>[] {
    return this.insights ? offerViewRows(args, this.insights) : [];
  }

  documentSymbols(doc: TextDocumentLike): DocumentSymbol[] {
    const st = this.state(doc);
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

  hover(doc: TextDocumentLike, position: Position): Hover | undefined {
    const st = this.state(doc);
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
    if (this.insights && node.kind === 'scalar' && inAcc) {
      const text = typeof node.value === 'string' ? node.value : undefined;
      if (text) {
        const [name, count] = text.split(':');
        const insights = this.insights;
        const md = safe(() => acceleratorHover(insights, name.trim(), count ? Number(count) : undefined));
        if (md) return { contents: { kind: MarkupKind.Markdown, value: md }, range: tm.range(node.start, node.end) };
      }
    }
    if (this.insights && inAcc && node.kind === 'map' && loc.entry) {
      // Flow / block mapping of accelerators: hover the key under the cursor.
      const e = node.entries.find((x) => offset >= x.keyStart && offset <= x.keyEnd);
      if (e) {
        const [name, count] = e.key.split(':');
        const cnt = e.value.kind === 'scalar' && typeof e.value.value === 'number' ? e.value.value : count ? Number(count) : undefined;
        const insights = this.insights;
        const md = safe(() => acceleratorHover(insights, name.trim(), cnt));
        if (md) return { contents: { kind: MarkupKind.Markdown, value: md }, range: tm.range(e.keyStart, e.keyEnd) };
      }
    }
    if (this.insights && key === 'instance_type' && node.kind === 'scalar' && typeof node.value === 'string') {
      const instanceType = node.value;
      const insights = this.insights;
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

  complete(doc: TextDocumentLike, position: Position): CompletionItem[] {
    const st = this.state(doc);
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
          if (itemSchema) return this.valueItems(listKeyPath, itemSchema, ctx.partial, replace(ctx.partial), false);
        }
        return [];
      }
      const present = this.siblingKeys(st, offset, ctx.indent);
      return this.keyItems(obj, ctx.path, present, replace(ctx.partial));
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
    return this.valueItems(ctx.path, schema, ctx.partial, replace(ctx.partial), ctx.flow);
  }

  private siblingKeys(st: DocumentState, offset: number, indent: number): Set<string> {
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

  private keyItems(obj: JSONSchema, path: string[], present: Set<string>, range: Range): CompletionItem[] {
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

  private valueItems(path: string[], schema: JSONSchema, partial: string, range: Range, flow: boolean): CompletionItem[] {
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
      const priced = this.insights ? safe(() => this.insights?.completeAccelerators()) : undefined;
      if (priced?.length) fromPriced(priced);
      else for (const a of COMMON_ACCELERATORS) add(flow ? a : `${a}:1`, CompletionItemKind.Value, 'accelerator');
      return items;
    }
    if (key === 'infra') {
      const slash = partial.indexOf('/');
      if (slash > 0 && this.insights) {
        const cloud = partial.slice(0, slash).toLowerCase() === 'k8s' ? 'kubernetes' : partial.slice(0, slash).toLowerCase();
        const regions = safe(() => this.insights?.completeRegions(cloud)) ?? [];
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
    if (key === 'instance_type' && this.insights) {
      const cloud = undefined;
      const list = safe(() => this.insights?.completeInstanceTypes(cloud)) ?? [];
      fromPriced(list);
      if (items.length) return items;
    }
    if (key === 'region' && this.insights) {
      for (const c of ['aws', 'gcp', 'azure']) fromPriced(safe(() => this.insights?.completeRegions(c)) ?? []);
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
}

function describeEnum(s: JSONSchema): string | undefined {
  return docOf(s);
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

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Position, q: Position) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !(before(a.end, b.start) || before(b.end, a.start));
}

function safe<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}

export function uriToPath(uri: string): string {
  if (!uri.startsWith('file://')) return uri;
  try {
    return decodeURIComponent(uri.slice('file://'.length));
  } catch {
    return uri.slice('file://'.length);
  }
}
