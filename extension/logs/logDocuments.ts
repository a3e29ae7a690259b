/**
 * Logs as read-only virtual documents that tail live (style lesson 7, after AWS Toolkit's
 * CloudWatch live tail): each `skydeck-log:` document is backed by a session that streams
 * from the engine; new text is appended (batched), the oldest lines are dropped past the
 * cap, editors scroll only when their end was visible, Stop/Clear lenses sit on line 0,
 * and a status-bar item shows the tail while such a document is active. Users keep native
 * search, folding, copy and save.
 */
import * as vscode from 'vscode';

export const LOG_SCHEME = 'skydeck-log';

/** Streams text to `onData` until done or aborted; resolves with a final status to show, if any. */
export type LogSource = (onData: (chunk: string) => void, signal: AbortSignal) => Promise<string | undefined>;

/**
 * Resolves a log URI path (e.g. `/cluster/dev/job/3.log`) to its source and title. A `once`
 * source is a run's own output (a CLI verb a command started): reopening shows what it printed,
 * never runs the verb again.
 */
export type SourceResolver = (uri: vscode.Uri) => { title: string; source: LogSource; once?: boolean } | undefined;

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

class LogSession {
  private lines: string[] = [];
  private partial = '';
  private controller = new AbortController();
  running = false;
  status: string | undefined;
  startedAt = Date.now();
  totalLines = 0;
  private recent: number[] = [];

  constructor(
    readonly uri: vscode.Uri,
    readonly title: string,
    private readonly source: LogSource,
    private readonly maxLines: () => number,
    private readonly changed: (s: LogSession) => void,
    readonly once = false,
  ) {}

  /** Whether it has streamed before (and ended or was stopped). */
  get ended(): boolean {
    return !this.running && this.status !== undefined;
  }

  start(): void {
    if (this.running) return;
    this.controller = new AbortController();
    this.running = true;
    this.status = undefined;
    this.startedAt = Date.now();
    const signal = this.controller.signal;
    this.source((chunk) => this.append(chunk), signal)
      .then((status) => {
        this.status = status ?? (signal.aborted ? 'stopped' : 'ended');
      })
      .catch((err: unknown) => {
        if (!signal.aborted) this.append(`\n[skydeck] log stream failed: ${err instanceof Error ? err.message : String(err)}\n`);
        this.status = signal.aborted ? 'stopped' : 'failed';
      })
      .finally(() => {
        if (this.partial) {
          this.pushLines([this.partial]);
          this.partial = '';
        }
        this.running = false;
        this.changed(this);
      });
    this.changed(this);
  }

  stop(): void {
    this.controller.abort();
  }

  clear(): void {
    this.lines = [];
    this.partial = '';
    this.changed(this);
  }

  append(chunk: string): void {
    const text = this.partial + chunk.replace(ANSI, '').replace(/\r\n/g, '\n').replace(/\r/g, '\n');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    this.pushLines(parts);
    this.changed(this);
  }

  private pushLines(parts: string[]): void {
    if (!parts.length) return;
    this.lines.push(...parts);
    this.totalLines += parts.length;
    const now = Date.now();
    for (let i = 0; i < parts.length; i++) this.recent.push(now);
    const cap = Math.max(100, this.maxLines());
    if (this.lines.length > cap) this.lines.splice(0, this.lines.length - cap);
  }

  linesPerSecond(): number {
    const now = Date.now();
    while (this.recent.length && this.recent[0] < now - 5000) this.recent.shift();
    return this.recent.length / 5;
  }

  text(): string {
    return this.partial ? [...this.lines, this.partial].join('\n') : this.lines.join('\n');
  }
}

export class LogDocuments implements vscode.TextDocumentContentProvider, vscode.CodeLensProvider, vscode.Disposable {
  private readonly sessions = new Map<string, LogSession>();
  private readonly didChange = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.didChange.event;
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.lensesChanged.event;
  private readonly pending = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Editors whose end was visible when the last batch was queued: they follow the tail. */
  private readonly follow = new Set<vscode.TextEditor>();
  private readonly statusItem = vscode.window.createStatusBarItem('skydeck.logTail', vscode.StatusBarAlignment.Left, 50);
  private readonly disposables: vscode.Disposable[] = [];
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly resolve: SourceResolver,
    private readonly maxLines: () => number,
  ) {
    this.statusItem.name = 'SkyDeck log tail';
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document.uri.scheme !== LOG_SCHEME) return;
        for (const ed of vscode.window.visibleTextEditors) {
          if (ed.document === e.document && this.follow.has(ed)) {
            const last = new vscode.Position(Math.max(0, e.document.lineCount - 1), 0);
            ed.revealRange(new vscode.Range(last, last), vscode.TextEditorRevealType.Default);
          }
        }
        this.follow.clear();
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidOpenTextDocument((doc) => {
        if (doc.uri.scheme !== LOG_SCHEME) return;
        const s = this.sessions.get(doc.uri.toString());
        if (s && doc.getText() !== s.text()) this.queue(s);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        // Closing the document stops its tail (the session is gone with it).
        if (doc.uri.scheme !== LOG_SCHEME) return;
        const s = this.sessions.get(doc.uri.toString());
        s?.stop();
        this.sessions.delete(doc.uri.toString());
      }),
    );
    this.statusTimer = setInterval(() => this.updateStatus(), 2000);
  }

  /**
   * Opens (or focuses) the log document for `uri` and tails it: one document per cluster job,
   * managed job or service log, reused. A tail that ended is read again from the start (the
   * old text replaced, not repeated); a live one is only focused.
   */
  async open(uri: vscode.Uri, options: { preview?: boolean; viewColumn?: vscode.ViewColumn } = {}): Promise<vscode.TextEditor> {
    const session = this.session(uri);
    if (session?.ended && !session.once) this.follow_(uri);
    else if (session && !session.ended) session.start();
    let doc = await vscode.workspace.openTextDocument(uri);
    if (doc.languageId !== 'log')
      doc = await vscode.languages.setTextDocumentLanguage(doc, 'log').then(
        (d) => d,
        () => doc,
      );
    const editor = await vscode.window.showTextDocument(doc, { preview: options.preview ?? false, viewColumn: options.viewColumn });
    // Text that arrived while the document was being opened fired its change too early: resync.
    if (session && doc.getText() !== session.text()) this.queue(session);
    return editor;
  }

  session(uri: vscode.Uri): LogSession | undefined {
    const key = uri.toString();
    let s = this.sessions.get(key);
    if (!s) {
      const resolved = this.resolve(uri);
      if (!resolved) return undefined;
      s = new LogSession(uri, resolved.title, resolved.source, this.maxLines, (x) => this.queue(x), resolved.once);
      this.sessions.set(key, s);
    }
    return s;
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const s = this.session(uri);
    if (!s) return `[skydeck] No log source for ${uri.path}.`;
    if (!s.running && s.totalLines === 0 && s.status === undefined) s.start();
    return s.text();
  }

  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const s = this.sessions.get(doc.uri.toString());
    if (!s) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      ...(s.running
        ? [new vscode.CodeLens(top, { title: '$(debug-stop) Stop tailing', command: 'skydeck.logs.stop', arguments: [doc.uri] })]
        : s.once
          ? []
          : [new vscode.CodeLens(top, { title: '$(sync) Follow again', command: 'skydeck.logs.follow', arguments: [doc.uri] })]),
      new vscode.CodeLens(top, { title: '$(clear-all) Clear', command: 'skydeck.logs.clear', arguments: [doc.uri] }),
      new vscode.CodeLens(top, { title: s.running ? `Following ${s.title}` : `${s.title}: ${s.status ?? 'stopped'}`, command: '' }),
    ];
    return lenses;
  }

  stop(uri: vscode.Uri): void {
    this.sessions.get(uri.toString())?.stop();
  }

  follow_(uri: vscode.Uri): void {
    const s = this.sessions.get(uri.toString());
    // A run's output is not followed again: that would run its verb a second time.
    if (s && !s.once && !s.running) {
      s.clear();
      s.start();
    }
  }

  clear(uri: vscode.Uri): void {
    this.sessions.get(uri.toString())?.clear();
  }

  /** The session's text (tests read documents through this as well as through the editor). */
  textOf(uri: vscode.Uri): string | undefined {
    return this.sessions.get(uri.toString())?.text();
  }

  private queue(s: LogSession): void {
    this.pending.add(s.uri.toString());
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), 100);
  }

  private flush(): void {
    this.flushTimer = undefined;
    for (const key of this.pending) {
      const s = this.sessions.get(key);
      if (!s) continue;
      for (const ed of vscode.window.visibleTextEditors) {
        if (ed.document.uri.toString() !== key) continue;
        const lastLine = ed.document.lineCount - 1;
        if (ed.visibleRanges.some((r) => r.end.line >= lastLine - 1)) this.follow.add(ed);
      }
      this.didChange.fire(s.uri);
    }
    this.pending.clear();
    this.lensesChanged.fire();
    this.updateStatus();
  }

  private updateStatus(): void {
    const uri = vscode.window.activeTextEditor?.document.uri;
    const s = uri && uri.scheme === LOG_SCHEME ? this.sessions.get(uri.toString()) : undefined;
    if (!s || !s.running) {
      this.statusItem.hide();
      return;
    }
    const secs = Math.floor((Date.now() - s.startedAt) / 1000);
    this.statusItem.text = `$(sync~spin) Tailing ${s.title}: ${secs}s, ${s.linesPerSecond().toFixed(1)} lines/s`;
    this.statusItem.tooltip = `${s.totalLines} lines so far. Click to stop tailing.`;
    this.statusItem.command = { command: 'skydeck.logs.stop', title: 'Stop tailing', arguments: [s.uri] };
    this.statusItem.show();
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.stop();
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.statusTimer) clearInterval(this.statusTimer);
    this.statusItem.dispose();
    this.didChange.dispose();
    this.lensesChanged.dispose();
    for (const d of this.disposables) d.dispose();
  }
}
