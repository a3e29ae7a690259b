/**
 * Every command is registered through here once (style lesson 5): it is logged to the
 * SkyDeck output channel, and an error becomes one notification that says what to do,
 * with an action where one exists. Notifications are never awaited on the command path
 * (lesson 8): the command finishes, the toast stays.
 */
import * as vscode from 'vscode';

export type CommandHandler = (...args: unknown[]) => unknown;

/** Duck-typed view of engine errors (they may come from another bundle, so no instanceof). */
interface ErrorShape {
  name?: string;
  code?: string;
  message?: string;
  hint?: string;
  /** Task-file errors may carry where the problem is. */
  file?: string;
  line?: number;
  column?: number;
  range?: { start: { line: number; character: number } };
  /** TaskValidationError: the file and its diagnostics. */
  fileName?: string;
  diagnostics?: { severity?: string; range?: { start: { line: number; character: number } } }[];
  /** Steps that fix it (a LaunchRefusal's Show Problems, Check Infra, Show Offers), shown first. */
  actions?: { title: string; run: () => unknown }[];
}

/** An error notification as shown: its text and its buttons (with what each does). */
export interface ReportedError {
  command: string;
  message: string;
  actions: { title: string; run: () => unknown }[];
}

export class Commands {
  private readonly reported = new vscode.EventEmitter<ReportedError>();
  /** Fires with each error notification shown (the extension-host tests read what the user saw). */
  readonly onDidReportError = this.reported.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    readonly log: vscode.LogOutputChannel,
  ) {
    context.subscriptions.push(this.reported);
  }

  register(id: string, handler: CommandHandler): void {
    const wrapped = async (...args: unknown[]): Promise<unknown> => {
      const started = Date.now();
      this.log.info(`command ${id}`);
      try {
        const result = await handler(...args);
        this.log.debug(`command ${id} done in ${Date.now() - started} ms`);
        return result;
      } catch (err) {
        this.reportError(err, id);
        return undefined;
      }
    };
    this.context.subscriptions.push(vscode.commands.registerCommand(id, wrapped));
  }

  /** Logs the error and shows it with the actions that fit it. */
  reportError(err: unknown, where: string): void {
    const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorShape;
    if (e.name === 'CancelledError' || e.code === 'CANCELLED' || e.name === 'AbortError') {
      this.log.info(`${where}: cancelled`);
      return;
    }
    const message = e.hint ? `${e.message} ${e.hint}` : (e.message ?? String(err));
    this.log.error(`${where}: ${e.name ?? 'Error'}${e.code ? ` [${e.code}]` : ''}: ${message}`);
    if (err instanceof Error && err.stack) this.log.debug(err.stack);

    const actions: { title: string; run: () => unknown }[] = [...(Array.isArray(e.actions) ? e.actions : [])];
    const file = e.file ?? e.fileName;
    if (file) {
      const first = e.diagnostics?.find((d) => d.severity === 'error')?.range ?? e.range;
      const line = first?.start.line ?? (e.line !== undefined ? e.line - 1 : 0);
      const character = first?.start.character ?? (e.column !== undefined ? e.column - 1 : 0);
      actions.push({ title: 'Open File', run: () => openAt(file, line, character) });
    }
    if (isInfraProblem(e) && !actions.some((a) => a.title === 'Check Infra'))
      actions.push({ title: 'Check Infra', run: () => vscode.commands.executeCommand('skydeck.checkInfra') });
    if (e.code === 'INVALID_INPUT' || e.code === 'CONFIG' || e.code === 'INVALID_INFRA') {
      actions.push({ title: 'Open Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'skydeck') });
    }
    actions.push({ title: 'Show Output', run: () => this.log.show(true) });

    this.reported.fire({ command: where, message: `SkyDeck: ${message}`, actions });
    void vscode.window.showErrorMessage(`SkyDeck: ${message}`, ...actions.map((a) => a.title)).then((picked) => {
      actions.find((a) => a.title === picked)?.run();
    });
  }
}

function isInfraProblem(e: ErrorShape): boolean {
  const code = e.code ?? '';
  return (
    code === 'RESOURCES_UNAVAILABLE' ||
    code.startsWith('PROVISION') ||
    code.includes('CREDENTIAL') ||
    code === 'NO_INFRA' ||
    e.name === 'ResourcesUnavailableError' ||
    e.name === 'ProvisionError'
  );
}

async function openAt(file: string, line: number, character: number): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
  const pos = new vscode.Position(Math.max(0, line), Math.max(0, character));
  await vscode.window.showTextDocument(doc, { selection: new vscode.Range(pos, pos) });
}
