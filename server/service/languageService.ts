/**
 * The SkyDeck task language service: pure functions of a document (uri, version, text) and
 * settings; no LSP connection, no VS Code. Parses once per document version (cached),
 * decides whether the YAML is a task (modeline, globs, content), and answers diagnostics,
 * completion, hover, outline, quick fixes and cost lenses. Catalog insights are optional
 * and may arrive later (setInsights). Nothing from the file is ever executed.
 *
 * This class is the facade the LSP layer calls: it holds the per-document state cache, the
 * settings and the insights, and hands each request to its feature's file.
 */
import type { CodeAction, CodeLens, CompletionItem, Diagnostic, DocumentSymbol, Hover, Position, Range } from 'vscode-languageserver-types';
import type { TaskDiagnostic } from '../../engine/task/diagnostics';
import type { Insights } from '../../engine/optimizer/insightTypes';
import { parseDocument, type DocumentState, type ServiceSettings, type TextDocumentLike } from './documentState';
import { diagnostics, taskDiagnostics } from './diagnostics';
import { quickFixes } from './quickFixes';
import { offerViewRows, taskCostLenses, type ShowOffersArgs } from './costLens';
import { documentSymbols } from './documentSymbols';
import { hover } from './hover';
import { complete } from './completion';

export type { DocumentState, ServiceSettings, TextDocumentLike } from './documentState';
export { uriToPath } from './documentState';

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
    const st = parseDocument(doc, text, this.settings);
    this.cache.set(doc.uri, st);
    return st;
  }

  isTask(doc: TextDocumentLike): boolean {
    return this.state(doc).isTask;
  }

  /** The file's diagnostics in our own shape (the `skydeck validate --json` shape), insights included. */
  taskDiagnostics(doc: TextDocumentLike): TaskDiagnostic[] {
    return taskDiagnostics(this.state(doc), this.insights);
  }

  diagnostics(doc: TextDocumentLike): Diagnostic[] {
    return diagnostics(this.state(doc), this.insights);
  }

  codeActions(doc: TextDocumentLike, range: Range): CodeAction[] {
    return quickFixes(this.state(doc), this.insights, range);
  }

  codeLenses(doc: TextDocumentLike): CodeLens[] {
    return taskCostLenses(this.state(doc), this.insights);
  }

  /** The offers view's rows for a clicked cost lens (empty until the catalogs are loaded). */
  offerRows(args: ShowOffersArgs): Record<string, unknown>[] {
    return this.insights ? offerViewRows(args, this.insights) : [];
  }

  documentSymbols(doc: TextDocumentLike): DocumentSymbol[] {
    return documentSymbols(this.state(doc));
  }

  hover(doc: TextDocumentLike, position: Position): Hover | undefined {
    return hover(this.state(doc), this.insights, position);
  }

  complete(doc: TextDocumentLike, position: Position): CompletionItem[] {
    return complete(this.state(doc), this.insights, position);
  }
}
