/**
 * Transport over the Kubernetes exec API (no SSH): a WebSocket to
 * /api/v1/namespaces/{ns}/pods/{pod}/exec speaking the channel protocol. Each binary frame
 * starts with its channel: 0 stdin, 1 stdout, 2 stderr, 3 status (a v1 Status whose
 * NonZeroExitCode cause carries the exit code). v5.channel.k8s.io adds a close frame
 * (255, channel) so stdin can end while output keeps flowing; it is preferred, and
 * commands that get stdin need it (under v4 the only way to signal EOF is closing the socket).
 */
import { Readable } from 'node:stream';
import type { KubeConfig, V1Status } from '@kubernetes/client-node';
import { CancelledError, InputError, SkyDeckError } from '../../errors';
import { envAndCwdPrefix, shellJoin, shellQuoteRemotePath } from '../../node/quote';
import { BoundedOutput } from '../../node/output';
import { NO_TAR_EXIT, packDir, unpackCommand } from '../../node/tarStream';
import { WebSocketClient, type WsClientOptions, type WsSocket } from './wsClient';
import { TransportError, type ExecOptions, type ExecResult, type InteractiveShell, type Transport } from '../../node/transport';

export interface PodTarget {
  config: KubeConfig;
  /** kubeconfig file and context name, for `kubectl` in interactive shells. */
  kubeconfigFile?: string;
  context: string;
  namespace: string;
  pod: string;
  container: string;
}

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const CLOSE = 255;
const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** Exit code of a finished exec from its status frame. */
export function exitCodeFromStatus(status: V1Status): { code: number; message?: string } {
  if (status.status === 'Success') return { code: 0 };
  const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
  if (status.reason === 'NonZeroExitCode' && cause?.message !== undefined) return { code: Number(cause.message) };
  // The command could not start (not found, not executable): as a shell would report it.
  const message = status.message ?? 'exec failed';
  return { code: /not found|no such file/i.test(message) ? 127 : 126, message };
}

/** `export K=V; cd DIR && exec argv` for `sh -c`, when the caller asks for env or cwd. */
function wrapArgv(argv: string[], options: ExecOptions): string[] {
  const prefix = envAndCwdPrefix(options);
  return prefix ? ['/bin/sh', '-c', `${prefix}exec ${shellJoin(argv)}`] : argv;
}

function toReadable(stdin: string | Buffer | Readable): Readable {
  return stdin instanceof Readable ? stdin : Readable.from([Buffer.isBuffer(stdin) ? stdin : Buffer.from(stdin)]);
}

export class KubernetesExecTransport implements Transport {
  readonly description: string;
  private readonly open = new Set<WsSocket>();

  constructor(private readonly target: PodTarget) {
    this.description = `pod ${target.namespace}/${target.pod} (context ${target.context})`;
  }

  private async url(argv: string[], withStdin: boolean): Promise<{ url: string; options: WsClientOptions }> {
    const cluster = this.target.config.getCurrentCluster();
    if (!cluster) throw new TransportError('unreachable', this.description, `Context '${this.target.context}' has no cluster.`);
    const params = new URLSearchParams();
    for (const a of argv) params.append('command', a);
    params.set('container', this.target.container);
    params.set('stdout', 'true');
    params.set('stderr', 'true');
    if (withStdin) params.set('stdin', 'true');
    const base = cluster.server.replace(/^http/, 'ws').replace(/\/+$/, '');
    const options: WsClientOptions = {};
    await this.target.config.applyToHTTPSOptions(options as Parameters<KubeConfig['applyToHTTPSOptions']>[0]);
    return {
      url: `${base}/api/v1/namespaces/${encodeURIComponent(this.target.namespace)}/pods/${encodeURIComponent(this.target.pod)}/exec?${params}`,
      options,
    };
  }

  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) throw new InputError('exec needs a command (empty argv).');
    if (options.signal?.aborted) throw new CancelledError(`Command on ${this.description}`);
    const command = wrapArgv(argv, options);
    const stdin = options.stdin === undefined ? undefined : toReadable(options.stdin);
    const { url, options: wsOptions } = await this.url(command, stdin !== undefined);
    return new Promise<ExecResult>((resolve, reject) => {
      const stdout = new BoundedOutput();
      const stderr = new BoundedOutput();
      let status: V1Status | undefined;
      let done = false;
      let timer: NodeJS.Timeout | undefined;
      const ws = new WebSocketClient(url, PROTOCOLS, wsOptions);
      this.open.add(ws);
      const finish = (err?: Error): void => {
        if (done) return;
        done = true;
        this.open.delete(ws);
        if (timer) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        stdin?.unpipe?.();
        if (ws.readyState === WebSocketClient.OPEN || ws.readyState === WebSocketClient.CONNECTING) ws.terminate();
        if (err) return reject(err);
        if (!status) {
          return reject(
            new TransportError(
              'closed',
              this.description,
              `The exec stream to ${this.description} closed before '${argv[0]}' reported its exit status; its outcome is unknown.`,
              { hint: 'Check that the pod is still running (`skydeck status --refresh`).' },
            ),
          );
        }
        const { code, message } = exitCodeFromStatus(status);
        let err2 = stderr.toString();
        if (message) err2 += `${err2 && !err2.endsWith('\n') ? '\n' : ''}${message}\n`;
        resolve({ exitCode: code, stdout: stdout.toString(), stderr: err2 });
      };
      const onAbort = (): void => finish(new CancelledError(`Command on ${this.description}`));
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs) {
        timer = setTimeout(
          () =>
            finish(
              new TransportError('timeout', this.description, `'${argv[0]}' on ${this.description} did not finish within ${options.timeoutMs} ms.`, {
                hint: 'Raise the timeout or check what the command waits for.',
              }),
            ),
          options.timeoutMs,
        );
      }
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          let msg = body;
          try {
            msg = (JSON.parse(body) as V1Status).message ?? body;
          } catch {
            /* not a Status */
          }
          const kind = res.statusCode === 401 || res.statusCode === 403 ? 'auth' : 'unreachable';
          finish(
            new TransportError(kind, this.description, `Cannot exec in ${this.description}: HTTP ${res.statusCode} ${msg.trim()}`.trim(), {
              hint:
                kind === 'auth'
                  ? 'Check the credentials of the kubeconfig context (RBAC: pods/exec create).'
                  : 'Check that the pod exists and is running (`skydeck status --refresh`).',
            }),
          );
        });
      });
      ws.on('error', (e: Error) =>
        finish(
          new TransportError('unreachable', this.description, `Cannot reach the Kubernetes API for ${this.description}: ${e.message}.`, {
            hint: 'Check that the API server answers (`skydeck check k8s`).',
            cause: e,
          }),
        ),
      );
      ws.on('open', () => {
        if (!stdin) return;
        const v5 = ws.protocol === 'v5.channel.k8s.io';
        stdin.on('data', (chunk: Buffer | string) => {
          const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
          const frame = Buffer.allocUnsafe(b.length + 1);
          frame[0] = STDIN;
          b.copy(frame, 1);
          // Backpressure: pause the source while the socket's buffer drains.
          ws.send(
            frame,
            (err?: Error) => err && finish(new TransportError('closed', this.description, `Sending input to ${this.description} failed: ${err.message}.`)),
          );
          if (ws.bufferedAmount > 1 << 20) {
            stdin.pause();
            const resume = (): void => (ws.bufferedAmount > 1 << 18 ? void setTimeout(resume, 5) : void stdin.resume());
            setTimeout(resume, 5);
          }
        });
        stdin.on('end', () => {
          if (v5) ws.send(Buffer.from([CLOSE, STDIN]));
          else ws.close(1000);
        });
        stdin.on('error', (e: Error) => finish(new SkyDeckError('STDIN_FAILED', `Reading the input for '${argv[0]}' failed: ${e.message}`, { cause: e })));
      });
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        const buf = isBinary ? data : Buffer.from(data.toString(), 'utf8');
        if (buf.length < 1) return;
        const payload = buf.subarray(1);
        switch (buf[0]) {
          case STDOUT:
            if (payload.length) {
              stdout.push(payload);
              options.onStdout?.(payload);
            }
            break;
          case STDERR:
            if (payload.length) {
              stderr.push(payload);
              options.onStderr?.(payload);
            }
            break;
          case STATUS:
            try {
              status = JSON.parse(payload.toString('utf8')) as V1Status;
            } catch {
              status = { status: 'Failure', message: payload.toString('utf8') };
            }
            break;
          default:
            break;
        }
      });
      ws.on('close', () => finish());
      // The signal may have fired while the URL was being prepared (handlers are in place now).
      if (options.signal?.aborted) onAbort();
    });
  }

  async putFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void> {
    const dest = shellQuoteRemotePath(remotePath);
    const tmp = `${dest}.tmp-$$`;
    const chmod = mode !== undefined ? ` && chmod ${(mode & 0o7777).toString(8)} ${tmp}` : '';
    const script = `mkdir -p "$(dirname ${dest})" && cat > ${tmp}${chmod} && mv -f ${tmp} ${dest}`;
    const r = await this.exec(['sh', '-c', script], { stdin: content });
    if (r.exitCode !== 0) {
      throw new SkyDeckError('REMOTE_WRITE_FAILED', `Writing ${remotePath} on ${this.description} failed: ${r.stderr.trim()}`, {
        hint: 'Check permissions and free space in the pod.',
      });
    }
  }

  async putDir(localDir: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void> {
    const r = await this.exec(unpackCommand(remoteDir, 'tar is not installed in the pod image'), { stdin: packDir(localDir, filter) });
    if (r.exitCode !== 0) {
      throw new SkyDeckError('REMOTE_WRITE_FAILED', `Copying ${localDir} to ${remoteDir} on ${this.description} failed: ${r.stderr.trim()}`, {
        hint: r.exitCode === NO_TAR_EXIT ? 'Use an image with tar (and sh).' : 'Check permissions and free space in the pod.',
      });
    }
  }

  interactiveShell(): InteractiveShell {
    const t = this.target;
    const argv = ['kubectl'];
    if (t.kubeconfigFile) argv.push('--kubeconfig', t.kubeconfigFile);
    argv.push('--context', t.context, '-n', t.namespace, 'exec', '-it', t.pod, '-c', t.container, '--', 'bash', '-l');
    return { argv };
  }

  async close(): Promise<void> {
    for (const ws of this.open) ws.terminate();
    this.open.clear();
  }
}
