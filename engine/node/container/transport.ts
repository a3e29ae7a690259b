/**
 * A node's container reached through the node's own transport: every command runs inside it
 * (entered by PID with nsenter where bring-up found that possible, ./enter.ts, else
 * `docker exec -i <container> ...`), so the agent, and with it exec, logs, queue and cancel,
 * run inside the container unchanged. Env values never enter argv: the base transport sets
 * them in the node-side process's env, and the entry keeps them by name (`-e NAME` for docker
 * exec, which copies them from the docker client's env).
 */
import * as path from 'node:path/posix';
import { InputError } from '../../errors';
import { isEnvName } from '../output';
import { shellJoin, shellQuote } from '../quote';
import { packDir } from '../tarStream';
import { LocalTransport } from '../local';
import { ENTER_SCRIPT, type ContainerEntry } from './enter';
import { tryCall } from './callClient';
import { CALL_SERVER_DIR, callServerEnabled } from './callServerScript';
import type { ExecOptions, ExecResult, InteractiveShell, Transport } from '../transport';

export interface ContainerTarget {
  /** The container's name on the node. */
  name: string;
  /** HOME inside the container: `~` paths resolve there. */
  home: string;
  /** Env for the docker client on the node (DOCKER_HOST), never forwarded into the container. */
  dockerEnv?: Record<string, string>;
  /** The container's first process as bring-up found it: commands enter by PID (./enter.ts). */
  entry?: ContainerEntry;
}

export class ContainerTransport implements Transport {
  readonly description: string;

  constructor(
    readonly base: Transport,
    readonly target: ContainerTarget,
  ) {
    this.description = `container ${target.name} on ${base.description}`;
  }

  /** `~`, `~/x` and relative paths inside the container's HOME; absolute paths as is. */
  resolve(p: string): string {
    if (p === '~') return this.target.home;
    if (p.startsWith('~/')) return path.join(this.target.home, p.slice(2));
    return path.resolve(this.target.home, p);
  }

  /** `docker exec` argv that runs `argv` in the container with `envNames` copied from the client's env. */
  execArgv(argv: string[], envNames: string[], cwd: string | undefined, tty = false): string[] {
    const out = ['docker', 'exec', tty ? '-it' : '-i', '-w', this.resolve(cwd ?? '~')];
    for (const k of envNames) out.push('-e', k);
    return [...out, this.target.name, ...argv];
  }

  exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    if (argv.length === 0) return Promise.reject(new InputError('exec needs a command (empty argv).'));
    const env = options.env ?? {};
    for (const k of Object.keys(env)) if (!isEnvName(k)) return Promise.reject(new InputError(`Invalid environment variable name '${k}'.`));
    const server = this.callServerDir();
    if (server && !options.signal?.aborted) {
      const call = tryCall(server, this.description, argv, this.resolve(options.cwd ?? '~'), options, () => this.enter(argv, options));
      if (call) return call;
    }
    return this.enter(argv, options);
  }

  /**
   * The call server's directory (./callServerScript.ts) when this process sees it: the node is
   * this machine and its directory is the container's HOME (`local`), entered by PID (the
   * bring-up started a server only then).
   */
  private callServerDir(): string | undefined {
    const base = this.base;
    if (!this.target.entry || !callServerEnabled() || !(base instanceof LocalTransport) || base.nodeDir !== this.target.home) return undefined;
    return path.join(this.target.home, CALL_SERVER_DIR);
  }

  /** The call entered into the container from the node (./enter.ts), or through `docker exec`. */
  private enter(argv: string[], options: ExecOptions): Promise<ExecResult> {
    const env = options.env ?? {};
    const names = Object.keys(env);
    const entry = this.target.entry;
    const inside = entry
      ? [
          'bash',
          '-c',
          ENTER_SCRIPT,
          'skydeck-enter',
          String(entry.pid),
          entry.start,
          this.resolve(options.cwd ?? '~'),
          names.join(' '),
          this.target.name,
          ...argv,
        ]
      : this.execArgv(argv, names, options.cwd);
    return this.base.exec(inside, { ...options, cwd: undefined, env: { ...env, ...(this.target.dockerEnv ?? {}) } });
  }

  async putFile(remotePath: string, content: string | Buffer, mode?: number): Promise<void> {
    const target = this.resolve(remotePath);
    const chmod = mode !== undefined ? `chmod ${(mode & 0o7777).toString(8)} "$t.tmp$$" && ` : '';
    const script = `t=${shellQuote(target)}; mkdir -p "$(dirname "$t")" && cat > "$t.tmp$$" && ${chmod}mv -f "$t.tmp$$" "$t"`;
    const r = await this.exec(['sh', '-c', script], { stdin: content });
    if (r.exitCode !== 0) throw new Error(`Could not write ${target} in ${this.description}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }

  async putDir(localDir: string, remoteDir: string, filter?: (relPath: string) => boolean): Promise<void> {
    const dest = this.resolve(remoteDir);
    const script = `command -v tar >/dev/null 2>&1 || { echo 'the image has no tar' >&2; exit 127; }; mkdir -p ${shellQuote(dest)} && tar --no-same-owner -xf - -C ${shellQuote(dest)}`;
    const r = await this.exec(['sh', '-c', script], { stdin: packDir(localDir, filter) });
    if (r.exitCode !== 0) throw new Error(`Could not copy ${localDir} to ${dest} in ${this.description}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }

  async close(): Promise<void> {
    await this.base.close();
  }

  /** The node's own way in, then `docker exec -it` into the container (as SkyPilot's ssh lands in it). */
  interactiveShell(): InteractiveShell {
    const outer = this.base.interactiveShell?.() ?? { argv: [] };
    const inner = this.execArgv(['bash', '-l'], [], '~', true);
    const dockerEnv = Object.entries(this.target.dockerEnv ?? {});
    if (outer.argv[0] === 'ssh') {
      // ssh joins its trailing arguments into the remote command line.
      const prefix = dockerEnv.length ? `export ${dockerEnv.map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ')}; ` : '';
      return { ...outer, argv: [...outer.argv, prefix + shellJoin(inner)] };
    }
    return { argv: inner, env: { ...(outer.env ?? process.env), ...Object.fromEntries(dockerEnv) } as Record<string, string>, cwd: outer.cwd };
  }
}
