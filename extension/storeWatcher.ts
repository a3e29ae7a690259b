/**
 * Live refresh: a debounced fs.watch of SKYDECK_HOME/state (the store every process
 * writes: CLI, controllers, other windows). Listeners run at most once per debounce
 * window, so a burst of writes never freezes the UI; a periodic tick (the
 * `skydeck.refreshInterval` setting) catches what a watch can miss (NFS, clock-based
 * fields like uptime).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';

function stateDir(): string {
  return path.join(process.env.SKYDECK_HOME || path.join(os.homedir(), '.skydeck'), 'state');
}

export class StoreWatcher implements vscode.Disposable {
  private readonly emitter = new vscode.EventEmitter<void>();
  /** Fires (debounced) after the store changed. */
  readonly onDidChange = this.emitter.event;
  private watcher: fs.FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private interval: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly debounceMs = 250,
  ) {}

  start(refreshIntervalSeconds: number): void {
    this.watch();
    this.setInterval(refreshIntervalSeconds);
  }

  setInterval(seconds: number): void {
    if (this.interval) clearInterval(this.interval);
    this.interval = seconds > 0 ? setInterval(() => this.emitter.fire(), seconds * 1000) : undefined;
  }

  private watch(): void {
    const dir = stateDir();
    try {
      fs.mkdirSync(dir, { recursive: true });
      this.watcher = fs.watch(dir, { persistent: false }, (_event, file) => {
        // Lock dirs and temp files churn on every write; only the JSON files matter.
        if (file && !String(file).endsWith('.json')) return;
        this.schedule();
      });
      this.watcher.on('error', (err) => {
        this.log.warn(`store watch failed (${err.message}); retrying`);
        this.watcher?.close();
        this.watcher = undefined;
        this.retry = setTimeout(() => this.watch(), 5000);
      });
      this.log.info(`watching ${dir}`);
    } catch (err) {
      this.log.warn(`cannot watch ${dir}: ${err instanceof Error ? err.message : String(err)}`);
      this.retry = setTimeout(() => this.watch(), 5000);
    }
  }

  /** Queue one refresh (also used after our own commands change something). */
  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.emitter.fire();
    }, this.debounceMs);
  }

  dispose(): void {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    if (this.interval) clearInterval(this.interval);
    if (this.retry) clearTimeout(this.retry);
    this.emitter.dispose();
  }
}
