/**
 * A `vscode` stand-in for unit tests of extension logic (tree nodes, settings, pickers) that
 * need no editor: the few classes and namespaces they touch, with the real API's shapes.
 * Anything not modelled throws when used, so a test never passes on a silent no-op.
 * Load it with `import '../../helpers/vscode'` before importing extension modules.
 */
import { EventEmitter as NodeEventEmitter } from 'node:events';

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class ThemeIcon {
  static readonly File = new ThemeIcon('file');
  static readonly Folder = new ThemeIcon('folder');
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class MarkdownString {
  value: string;
  isTrusted?: boolean;
  supportThemeIcons?: boolean;
  constructor(value = '', supportThemeIcons = false) {
    this.value = value;
    this.supportThemeIcons = supportThemeIcons;
  }
  appendMarkdown(text: string): this {
    this.value += text;
    return this;
  }
  appendText(text: string): this {
    this.value += text.replace(/[\\`*_{}[\]()#+\-.!]/g, '\\$&');
    return this;
  }
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly query = '',
    readonly authority = '',
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static from(c: { scheme: string; authority?: string; path?: string; query?: string }): Uri {
    return new Uri(c.scheme, c.path ?? '', c.query ?? '', c.authority ?? '');
  }
  static parse(text: string): Uri {
    const u = new URL(text);
    return new Uri(u.protocol.replace(/:$/, ''), decodeURIComponent(u.pathname), u.search.replace(/^\?/, ''));
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, [base.path.replace(/\/+$/, ''), ...segments].join('/'));
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${this.path}${this.query ? `?${this.query}` : ''}`;
  }
}

export class TreeItem {
  description?: string | boolean;
  tooltip?: string | MarkdownString;
  iconPath?: ThemeIcon | Uri;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  id?: string;
  resourceUri?: Uri;
  constructor(
    readonly label: string | { label: string },
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class Disposable {
  constructor(private readonly onDispose: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.onDispose();
  }
}

/** vscode.EventEmitter: `event` subscribes, `fire` delivers synchronously. */
export class EventEmitter<T> {
  private readonly emitter = new NodeEventEmitter();
  readonly event = (listener: (e: T) => unknown): Disposable => {
    this.emitter.on('e', listener);
    return new Disposable(() => this.emitter.off('e', listener));
  };
  fire(data: T): void {
    this.emitter.emit('e', data);
  }
  dispose(): void {
    this.emitter.removeAllListeners();
  }
}

/** Settings a test sets; everything else reads its declared default. */
export const settingsStore = new Map<string, unknown>();

/**
 * Functions (or values, e.g. `activeTextEditor`) a test installs for `window`, `commands` and
 * `workspace` (a showInputBox that answers, an executeCommand that records); anything not
 * installed still throws when called. Tests reset
 * these with `resetHandlers()`.
 */
type Fn = (...args: never[]) => unknown;
export const handlers: Record<'window' | 'commands' | 'workspace', Record<string, Fn>> = { window: {}, commands: {}, workspace: {} };
export function resetHandlers(): void {
  for (const ns of Object.values(handlers)) for (const k of Object.keys(ns)) delete ns[k];
}

export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

const workspaceBase = {
  getConfiguration(section?: string) {
    const key = (k: string) => (section ? `${section}.${k}` : k);
    return {
      get<T>(k: string, fallback?: T): T | undefined {
        return settingsStore.has(key(k)) ? (settingsStore.get(key(k)) as T) : fallback;
      },
      has: (k: string) => settingsStore.has(key(k)),
    };
  },
};

function notModelled(name: string): never {
  throw new Error(`vscode.${name} is not modelled by the test stand-in (test/helpers/vscode/stub.ts)`);
}

/**
 * `vscode.window.<name>` functions a test models (e.g. showInformationMessage answering one
 * choice, createTerminal recording its options); any other window function still throws.
 */
export const windowHandlers = new Map<string, Fn>();

/** Commands a test handles: `commands.executeCommand(id, ...)` runs the handler set here; any other id throws. */
export const commandHandlers = new Map<string, Fn>();

async function executeCommand(id: string, ...args: never[]): Promise<unknown> {
  const handler = commandHandlers.get(id);
  if (!handler) notModelled(`commands.executeCommand('${id}')`);
  return handler(...args);
}

/** Extension ids a test declares installed: `extensions.getExtension` finds only these. */
export const installedExtensions = new Set<string>();

export const extensions = {
  getExtension(id: string): { id: string; isActive: boolean } | undefined {
    return installedExtensions.has(id) ? { id, isActive: false } : undefined;
  },
  get all(): never {
    return notModelled('extensions.all');
  },
};

/** What a namespace answers when a test installed nothing under `handlers` for that name. */
const fallbacks: Record<'window' | 'commands' | 'workspace', (name: string) => Fn | undefined> = {
  window: (name) => windowHandlers.get(name),
  commands: (name) => (name === 'executeCommand' ? executeCommand : undefined),
  workspace: () => undefined,
};

function namespace(name: 'window' | 'commands' | 'workspace', base: object = {}): Record<string, Fn> {
  return new Proxy(base as Record<string, Fn>, {
    get: (target, p) => {
      const key = String(p);
      if (p in target) return target[key];
      if (key in handlers[name]) return handlers[name][key];
      return fallbacks[name](key) ?? (() => notModelled(`${name}.${key}`));
    },
  });
}

export const workspace = namespace('workspace', workspaceBase);
export const window = namespace('window');
export const commands = namespace('commands');
