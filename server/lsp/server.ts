/**
 * Thin LSP wiring over the pure language service: document sync, debounced push
 * diagnostics, completion, hover, outline, quick fixes and code lenses. Catalog insights
 * are loaded after the first diagnostics are out (start-up stays fast), then lenses are
 * refreshed. Settings: `skydeck.taskFiles` (initializationOptions or workspace config).
 */
import { CodeActionKind, TextDocumentSyncKind, type Connection, type InitializeParams, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocuments } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { InfraState, Insights } from '../../engine/optimizer/insightTypes';
import { TaskLanguageService, type ServiceSettings } from '../service/languageService';
import type { ShowOffersArgs } from '../service/costLens';
import { LensWarmUp } from '../service/lensWarmUp';
import { IdleWork, type IdleWorkStats } from './idleWork';
import { INSIGHTS_LOADED, OFFER_ROWS, TASK_DETECTED, type TaskDetectedParams } from './notifications';

export interface ServerOptions {
  /** Debounce of diagnostics after an edit (ms). The first diagnostics of a document are immediate. */
  debounceMs?: number;
  /** Loads catalog insights lazily; undefined result = none available. */
  loadInsights?: () => Promise<Insights | undefined>;
  /**
   * The cost lens's warm-up (service/lensWarmUp.ts), run while idle once the first task's
   * diagnostics are out with insights: `insights` makes scratch insights over the same catalog.
   */
  warmUp?: {
    insights: (infra: InfraState[]) => Insights;
    quietMs?: number;
    onStep?: (stats: IdleWorkStats) => void;
    onDone?: (stats: IdleWorkStats) => void;
  };
  /**
   * Calls `listener` whenever data from the client arrives, before the connection dispatches
   * it (the transport's own event): the warm-up stands aside from that moment on. Installed
   * after the connection listens.
   */
  onInput?: (listener: () => void) => void;
}

interface ClientSettings {
  taskFiles?: unknown;
}

function toSettings(raw: ClientSettings | undefined): ServiceSettings {
  const tf = raw?.taskFiles;
  return { taskFiles: Array.isArray(tf) ? tf.filter((x): x is string => typeof x === 'string') : undefined };
}

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  const service = new TaskLanguageService();
  const timers = new Map<string, NodeJS.Timeout>();
  const published = new Set<string>();
  /** The detection last sent per document, so TASK_DETECTED goes out only on a change. */
  const detected = new Map<string, string>();
  let debounceMs = options.debounceMs ?? 150;
  let canRefreshLenses = false;
  let canPullConfig = false;
  let insightsRequested = false;
  let warmUp: IdleWork | undefined;

  /** The lens warm-up: once, after a task's first diagnostics with insights are published. */
  const startWarmUp = () => {
    const opts = options.warmUp;
    if (!opts || warmUp) return;
    const lens = new LensWarmUp(opts.insights);
    warmUp = new IdleWork(() => lens.step(), {
      quietMs: opts.quietMs,
      busy: () => timers.size > 0,
      onStep: opts.onStep,
      onDone: (stats) => {
        if (process.env.SKYDECK_STARTUP_PROBE) connection.console.log(`skydeck-warmup ${JSON.stringify(stats)}`);
        opts.onDone?.(stats);
      },
    });
    warmUp.start();
  };

  const publish = (doc: TextDocument) => {
    timers.delete(doc.uri);
    let diagnostics: ReturnType<TaskLanguageService['diagnostics']>;
    try {
      diagnostics = service.diagnostics(doc);
    } catch (e) {
      connection.console.error(`skydeck: diagnostics failed for ${doc.uri}: ${(e as Error).stack ?? e}`);
      diagnostics = [];
    }
    const firstEver = published.size === 0;
    published.add(doc.uri);
    void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics });
    sendDetection(doc);
    if (firstEver && process.env.SKYDECK_STARTUP_PROBE) {
      // For bench/validate: this process's own CPU and wall time to its first diagnostics.
      const cpu = process.cpuUsage();
      connection.console.log(`skydeck-startup ${JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, uptimeMs: process.uptime() * 1000 })}`);
    }
    if (!insightsRequested) {
      insightsRequested = true;
      setImmediate(() => void loadInsights());
    } else if (service.hasInsights() && !warmUp && safeIsTask(doc)) startWarmUp();
  };

  const safeIsTask = (doc: TextDocument) => {
    try {
      return service.isTask(doc);
    } catch {
      return false;
    }
  };

  const sendDetection = (doc: TextDocument) => {
    let isTask: boolean;
    try {
      isTask = service.isTask(doc);
    } catch {
      return; // already reported by the diagnostics pass
    }
    const params: TaskDetectedParams = { uri: doc.uri, isTask, hasService: false };
    params.hasService = params.isTask && /^service\s*:/m.test(doc.getText());
    const key = `${params.isTask}/${params.hasService}`;
    if (detected.get(doc.uri) === key) return;
    detected.set(doc.uri, key);
    void connection.sendNotification(TASK_DETECTED, params).catch(() => undefined);
  };

  const schedule = (doc: TextDocument, immediate: boolean) => {
    warmUp?.input();
    const t = timers.get(doc.uri);
    if (t) clearTimeout(t);
    if (immediate) publish(doc);
    else
      timers.set(
        doc.uri,
        setTimeout(() => {
          const current = documents.get(doc.uri);
          if (current) publish(current);
        }, debounceMs),
      );
  };

  const loadInsights = async () => {
    if (!options.loadInsights) return;
    try {
      const insights = await options.loadInsights();
      if (!insights) return;
      service.setInsights(insights);
      for (const doc of documents.all()) schedule(doc, true);
      if (canRefreshLenses) void connection.sendRequest('workspace/codeLens/refresh').catch(() => undefined);
      void connection.sendNotification(INSIGHTS_LOADED).catch(() => undefined);
    } catch (e) {
      connection.console.warn(`skydeck: catalog insights unavailable: ${(e as Error).message}`);
    }
  };

  const pullConfig = async () => {
    if (!canPullConfig) return;
    try {
      const [cfg] = (await connection.workspace.getConfiguration([{ section: 'skydeck' }])) as (ClientSettings | null)[];
      if (cfg) applySettings(cfg);
    } catch {
      // The client may not answer workspace/configuration; initializationOptions still apply.
    }
  };

  const applySettings = (raw: ClientSettings) => {
    service.configure(toSettings(raw));
    for (const doc of documents.all()) schedule(doc, true);
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const init = (params.initializationOptions ?? {}) as ClientSettings & { debounceMs?: number; skydeck?: ClientSettings };
    service.configure(toSettings(init.skydeck ?? init));
    if (typeof init.debounceMs === 'number') debounceMs = init.debounceMs;
    canRefreshLenses = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    canPullConfig = !!params.capabilities.workspace?.configuration;
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        completionProvider: { triggerCharacters: [':', ' ', '/', '-', ','] },
        hoverProvider: true,
        documentSymbolProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        codeLensProvider: { resolveProvider: false },
      },
      serverInfo: { name: 'skydeck-language-server', version: process.env.SKYDECK_VERSION ?? '0.1.0' },
    };
  });

  connection.onInitialized(() => void pullConfig());
  connection.onDidChangeConfiguration((change) => {
    const settings = (change.settings as { skydeck?: ClientSettings } | null)?.skydeck;
    if (settings) applySettings(settings);
    else void pullConfig();
  });

  documents.onDidOpen((e) => schedule(e.document, true));
  documents.onDidChangeContent((e) => {
    // didOpen also fires a content change; the first publish is immediate, later ones debounced.
    schedule(e.document, !published.has(e.document.uri));
  });
  documents.onDidClose((e) => {
    const t = timers.get(e.document.uri);
    if (t) clearTimeout(t);
    timers.delete(e.document.uri);
    published.delete(e.document.uri);
    detected.delete(e.document.uri);
    service.close(e.document.uri);
    void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
  });

  const guard = <T>(what: string, fallback: T, fn: () => T): T => {
    // Also where no transport event told the warm-up of the message (onInput).
    warmUp?.input();
    try {
      return fn();
    } catch (e) {
      connection.console.error(`skydeck: ${what} failed: ${(e as Error).stack ?? e}`);
      return fallback;
    }
  };

  connection.onCompletion((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? guard('completion', [], () => service.complete(doc, p.position)) : [];
  });
  connection.onHover((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? guard('hover', null, () => service.hover(doc, p.position) ?? null) : null;
  });
  connection.onDocumentSymbol((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? guard('symbols', [], () => service.documentSymbols(doc)) : [];
  });
  connection.onCodeAction((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? guard('code actions', [], () => service.codeActions(doc, p.range)) : [];
  });
  connection.onCodeLens((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc ? guard('code lenses', [], () => service.codeLenses(doc)) : [];
  });

  connection.onRequest(OFFER_ROWS, (args: ShowOffersArgs) => guard('offer rows', [], () => service.offerRows(args)));

  documents.listen(connection);
  connection.listen();
  options.onInput?.(() => warmUp?.input());
  connection.onShutdown(() => warmUp?.stop());
}
