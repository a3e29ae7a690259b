/** Stand-in local-process Transport for a `local` node dir (until engine/node's LocalTransport lands). */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExecOptions, ExecResult, Transport } from '../../node/transport';

export class StandinLocalTransport implements Transport {
  readonly description: string;
  constructor(private readonly nodeDir: string, private readonly baseEnv: Record<string, string>) {
    this.description = `local node ${nodeDir}`;
  }

  private resolve(p: string): string {
    return p.startsWith('~/') ? path.join(this.nodeDir, p.slice(2)) : path.resolve(this.nodeDir, p);
  }

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1), {
        cwd: options.cwd ? this.resolve(options.cwd) : this.nodeDir,
        env: { ...process.env, ...this.baseEnv, ...options.env },
        stdio: ['pipe', 'pipe', 'pipe'],
        signal: options.signal,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
        options.onStdout?.(b);
      });
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
        options.onStderr?.(b);
      });
      child.stdin.on('error', () => undefined);
      child.on('error', reject);
      child.on('close', (code) => resolve({ exitCode: code ?? 1, stdout, stderr }));
      child.stdin.end(options.stdin ?? '');
    });
  }

  async putFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void> {
    const p = this.resolve(remotePath);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content, mode !== undefined ? { mode } : undefined);
    if (mode !== undefined) fs.chmodSync(p, mode);
  }

  async putDir(localDir: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void> {
    const dest = this.resolve(remoteDir);
    fs.cpSync(localDir, dest, {
      recursive: true,
      filter: (src) => {
        const rel = path.relative(localDir, src).split(path.sep).join('/');
        if (rel === '') return true;
        const isDir = fs.statSync(src).isDirectory();
        return !filter || filter(isDir ? `${rel}/` : rel);
      },
    });
  }

  async close(): Promise<void> {}
}
