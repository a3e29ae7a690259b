/** Starting test/unit/serve/lbChild.ts (a load balancer in its own process) and talking to it. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';

export interface LbChild {
  proc: ChildProcess;
  url: string;
  /** Exit code or signal once the process ended (undefined while it runs). */
  exited(): string | undefined;
  /** Asks the child to open a file; resolves with `ok` or the error code. */
  read(): Promise<string>;
  stderr(): string;
}

const CHILD = path.join(__dirname, 'lbChild.ts');

/** `fdLimit`: the child's soft and hard limit on open files (set by the shell before exec). */
export async function startLbChild(
  t: { after: (fn: () => Promise<void> | void) => void },
  replicaUrls: string[],
  opts: { fdLimit?: number } = {},
): Promise<LbChild> {
  const node = [process.execPath, '--import', 'tsx', CHILD, replicaUrls.join(',')];
  const proc = opts.fdLimit
    ? spawn('/bin/sh', ['-c', `ulimit -n ${opts.fdLimit} && exec "$@"`, 'sh', ...node], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(node[0], node.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  let exit: string | undefined;
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  proc.on('exit', (code, signal) => (exit = signal ?? String(code)));
  t.after(() => {
    if (exit === undefined) proc.kill('SIGKILL');
  });
  const lines = readline.createInterface({ input: proc.stdout! });
  const waiters: ((line: string) => void)[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    proc.once('exit', () => reject(new Error(`load balancer child exited before listening: ${err}`)));
    lines.on('line', (line) => {
      const m = /^port (\d+)$/.exec(line);
      if (m) resolve(Number(m[1]));
      else if (line.startsWith('read ')) waiters.shift()?.(line.slice(5));
    });
  });
  return {
    proc,
    url: `http://127.0.0.1:${port}`,
    exited: () => exit,
    read: () =>
      new Promise((resolve) => {
        waiters.push(resolve);
        proc.stdin!.write('read\n');
      }),
    stderr: () => err,
  };
}
