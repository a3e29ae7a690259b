/**
 * Runs the `skydeck` CLI bundled with the extension (dist/cli.js) with the extension
 * host's own Node, for the verbs whose contract is the CLI's JSON (design.md): managed
 * jobs, services, show-gpus, check, plan. Argv arrays only, never a shell string.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';

let extensionRoot = path.join(__dirname, '..');

/** Set once at activation: the folder holding package.json and dist/. */
export function setExtensionRoot(root: string): void {
  extensionRoot = root;
}

export function extensionRootDir(): string {
  return extensionRoot;
}

function cliScript(): string {
  return process.env.SKYDECK_CLI || path.join(extensionRoot, 'dist', 'cli.js');
}

/** argv (without the node binary) and the env that run the CLI under the host's Node (Electron needs RUN_AS_NODE). */
export function cliCommand(args: string[]): { node: string; argv: string[]; env: NodeJS.ProcessEnv } {
  return { node: process.execPath, argv: [cliScript(), ...args], env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' } };
}

export class CliError extends Error {
  override readonly name = 'CliError';
  readonly code: string;
  constructor(
    readonly args: string[],
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const detail =
      stderr
        .trim()
        .replace(/^Error:\s*/, '')
        .split('\n')
        .slice(-6)
        .join(' ') || `exit code ${exitCode}`;
    super(`skydeck ${args.join(' ')}: ${detail}`);
    this.code = /credential|not enabled|no infra/i.test(stderr) ? 'NO_INFRA' : 'CLI_FAILED';
  }
}

export interface CliRun {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/** Runs to completion; rejects with CliError on a non-zero exit unless `okCodes` includes it. */
export function runCli(
  args: string[],
  options: {
    signal?: AbortSignal;
    okCodes?: number[];
    onStdout?: (s: string) => void;
    onStderr?: (s: string) => void;
    cwd?: string;
    env?: Record<string, string>;
  } = {},
): Promise<CliRun> {
  const { node, argv, env: baseEnv } = cliCommand(args);
  // Values the CLI reads by name (`--secret KEY`) travel here, never in argv.
  const env = { ...baseEnv, ...options.env };
  return new Promise((resolve, reject) => {
    const child = spawn(node, argv, { env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      options.onStdout?.(d);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      options.onStderr?.(d);
    });
    child.on('error', (err) => reject(err));
    child.on('close', (code) => {
      if (code === 0 || (code !== null && options.okCodes?.includes(code))) resolve({ stdout, stderr, exitCode: code });
      else reject(new CliError(args, code, stderr));
    });
  });
}

/** Runs a `--json` verb and parses its stdout. */
export async function cliJson<T>(args: string[], signal?: AbortSignal): Promise<T> {
  const run = await runCli([...args, '--json'], { signal });
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new CliError(args, run.exitCode, `unexpected output (not JSON): ${run.stdout.slice(0, 200)}`);
  }
}
