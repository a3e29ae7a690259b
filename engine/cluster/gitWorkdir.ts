/**
 * Git workdirs (`workdir: {url, ref}`, `--git-url/--git-ref`), as SkyPilot runs them: the
 * repository is cloned at the ref into ~/sky_workdir on every node before setup, on every
 * launch and exec. Private repositories: `GIT_TOKEN` (https) or `GIT_SSH_KEY_PATH` (ssh),
 * taken from the task's secrets or envs (`--secret GIT_TOKEN`), else this process's
 * environment.
 *
 * Before anything is provisioned the client asks the remote (`git ls-remote`, or a commit-only
 * fetch for a hash) whether the URL answers and the ref exists, so a typo costs no cluster.
 *
 * The token never reaches a command line, a file on the node, the state or a log: git reads
 * it as an `http.extraHeader` from `GIT_CONFIG_*` environment variables (here) or from the
 * clone script's stdin (on the node), and the remote URL stays the plain one.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputError, errorMessage } from '../errors';
import type { Transport } from '../node/transport';
import type { Task } from '../task/types';
import { REMOTE_WORKDIR } from './nodeOps';

export interface GitWorkdir {
  url: string;
  /** Branch, tag or commit hash; undefined: the remote's default branch. */
  ref?: string;
}

export type GitRefKind = 'branch' | 'tag' | 'commit' | 'default';

export interface GitCredentials {
  token?: string;
  /** Content of the private key GIT_SSH_KEY_PATH names. */
  sshKey?: string;
  sshKeyPath?: string;
}

export interface ResolvedGitWorkdir extends GitWorkdir {
  kind: GitRefKind;
  /** The URL without any `user:password@`, for messages. */
  displayUrl: string;
}

/** A git workdir checked from here, with what the nodes need to clone it (kept in memory only). */
export interface CheckedGitWorkdir {
  workdir: ResolvedGitWorkdir;
  creds: GitCredentials;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The task's git workdir, when its `workdir` is `{url, ref}`. */
export function gitWorkdirOf(task: Task): GitWorkdir | undefined {
  const w = task.raw.workdir;
  if (!isObj(w) || typeof w.url !== 'string') return undefined;
  const ref = w.ref === undefined || w.ref === null || w.ref === '' ? undefined : String(w.ref);
  return { url: w.url, ref };
}

/** GIT_TOKEN / GIT_SSH_KEY_PATH: the task's secrets, then its envs, then this process's environment. */
export function gitCredentials(task: Task, env: NodeJS.ProcessEnv = process.env): GitCredentials {
  const pick = (k: string): string | undefined => {
    const v = task.secrets[k] ?? task.envs[k] ?? env[k];
    return v === null || v === undefined || v === '' ? undefined : v;
  };
  const token = pick('GIT_TOKEN');
  const keyPath = pick('GIT_SSH_KEY_PATH');
  const creds: GitCredentials = { token };
  if (keyPath) {
    const resolved = keyPath.startsWith('~/') ? path.join(os.homedir(), keyPath.slice(2)) : path.resolve(keyPath);
    try {
      creds.sshKey = fs.readFileSync(resolved, 'utf8');
      creds.sshKeyPath = resolved;
    } catch (e) {
      throw new InputError(`GIT_SSH_KEY_PATH: cannot read the SSH key ${resolved} (${errorMessage(e)}).`, {
        hint: 'Point GIT_SSH_KEY_PATH at the private key that can read the repository.',
      });
    }
  }
  return creds;
}

/** Removes `user:password@` from a URL for messages. */
export function displayUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^@/]*@/i, '$1');
}

/** `git -c http.extraHeader=...` as environment variables (not visible in the process list). */
export function tokenGitEnv(token: string | undefined): Record<string, string> {
  if (!token) return {};
  const basic = Buffer.from(`${token}:`).toString('base64');
  return { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` };
}

const SSH_OPTIONS = '-o IdentitiesOnly=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes';

function runGit(args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: '', SSH_ASKPASS: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (e) =>
      reject(new InputError(`workdir.url: git is needed on this machine to check the repository (${e.message}).`, { hint: 'Install git.' })),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

/** Runs `fn` with the environment that authenticates git here (a temporary 0600 key file for SSH). */
async function withClientAuth<T>(creds: GitCredentials, fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  const env = tokenGitEnv(creds.token);
  if (!creds.sshKeyPath) return fn(env);
  env.GIT_SSH_COMMAND = `ssh -i '${creds.sshKeyPath.replace(/'/g, `'\\''`)}' ${SSH_OPTIONS}`;
  return fn(env);
}

/** The token must never appear in a message, even if git echoes it. */
function redact(text: string, creds: GitCredentials): string {
  let out = text.trim();
  if (creds.token) out = out.split(creds.token).join('***');
  return out;
}

const HEX = /^[0-9a-f]{4,40}$/i;

/**
 * Checks that the repository answers and the ref exists, from this machine, and says what
 * kind of ref it is. Throws InputError naming `workdir.url` or `workdir.ref`.
 */
export async function resolveGitWorkdir(w: GitWorkdir, creds: GitCredentials): Promise<ResolvedGitWorkdir> {
  return withClientAuth(creds, async (env) => {
    const ls = await runGit(['ls-remote', '--heads', '--tags', w.url], env);
    if (ls.code !== 0) {
      throw new InputError(`workdir.url: cannot reach the git repository ${displayUrl(w.url)}: ${redact(ls.stderr, creds) || `git exited with ${ls.code}`}`, {
        code: 'GIT_UNREACHABLE',
        hint: 'Check the URL; for a private repository set GIT_TOKEN (https) or GIT_SSH_KEY_PATH (ssh), e.g. with --secret GIT_TOKEN.',
      });
    }
    const shown = displayUrl(w.url);
    if (w.ref === undefined) return { ...w, kind: 'default', displayUrl: shown };
    const refs = new Set(
      ls.stdout
        .split('\n')
        .map((l) => l.split('\t')[1])
        .filter(Boolean),
    );
    if (refs.has(`refs/heads/${w.ref}`)) return { ...w, kind: 'branch', displayUrl: shown };
    if (refs.has(`refs/tags/${w.ref}`)) return { ...w, kind: 'tag', displayUrl: shown };
    if (HEX.test(w.ref) && (await commitExists(w.url, w.ref, env))) return { ...w, kind: 'commit', displayUrl: shown };
    throw new InputError(`workdir.ref: '${w.ref}' is not a branch, tag or commit of ${displayUrl(w.url)}.`, {
      code: 'GIT_UNKNOWN_REF',
      hint: 'Use an existing branch, tag or commit hash (`git ls-remote URL` lists branches and tags).',
    });
  });
}

/** Fetches only commits (no trees or blobs) into a scratch repository and looks for `ref`. */
async function commitExists(url: string, ref: string, env: Record<string, string>): Promise<boolean> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-git-check-'));
  try {
    if ((await runGit(['init', '--bare', '-q', dir], {})).code !== 0) return false;
    // A full hash can be asked for directly; a short one only by fetching the branches' commits.
    const args =
      ref.length === 40
        ? ['fetch', '-q', '--depth', '1', '--filter=tree:0', url, ref]
        : ['fetch', '-q', '--filter=tree:0', url, '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'];
    if ((await runGit(args, env, dir)).code !== 0) return false;
    return (await runGit(['rev-parse', '-q', '--verify', `${ref}^{commit}`], {}, dir)).code === 0;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The clone script run on each node. Secrets arrive on stdin (first line the token, the rest
 * the SSH key), never in its arguments or environment; the key lives in a 0600 temporary file
 * removed on exit.
 */
const CLONE_SCRIPT = `set -eu
command -v git >/dev/null 2>&1 || { echo "git is not installed on this node: install git in the image or in the node's setup" >&2; exit 90; }
IFS= read -r TOKEN || true
KEY=$(cat)
if [ -n "$TOKEN" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=http.extraHeader
  GIT_CONFIG_VALUE_0="Authorization: Basic $(printf '%s:' "$TOKEN" | base64 | tr -d '\\n')"
  export GIT_CONFIG_VALUE_0
fi
unset TOKEN
KEYFILE=
trap '[ -n "$KEYFILE" ] && rm -f "$KEYFILE"' EXIT
if [ -n "$KEY" ]; then
  KEYFILE=$(mktemp); chmod 600 "$KEYFILE"; printf '%s\\n' "$KEY" > "$KEYFILE"
  export GIT_SSH_COMMAND="ssh -i $KEYFILE ${SSH_OPTIONS}"
fi
unset KEY
export GIT_TERMINAL_PROMPT=0
DEST="$1"; URL="$2"; KIND="$3"; REF="$4"
if [ -d "$DEST/.git" ] && [ "$(git -C "$DEST" remote get-url origin 2>/dev/null)" = "$URL" ]; then :; else rm -rf "$DEST"; mkdir -p "$DEST"; git -C "$DEST" init -q; git -C "$DEST" remote add origin "$URL"; fi
cd "$DEST"
case "$KIND" in
  branch) git fetch -q --depth 1 origin "+refs/heads/$REF:refs/remotes/origin/$REF"; git checkout -q -f -B "$REF" "refs/remotes/origin/$REF" ;;
  tag) git fetch -q --depth 1 origin "+refs/tags/$REF:refs/tags/$REF"; git checkout -q -f "refs/tags/$REF" ;;
  commit)
    if [ \${#REF} -eq 40 ] && git fetch -q --depth 1 origin "$REF" 2>/dev/null; then :; else
      [ -f .git/shallow ] && git fetch -q --unshallow origin || git fetch -q origin '+refs/heads/*:refs/remotes/origin/*'; fi
    git checkout -q -f "$REF" ;;
  default) git fetch -q --depth 1 origin HEAD; git checkout -q -f FETCH_HEAD ;;
esac
git clean -q -fdx
echo "$(git rev-parse HEAD)"
`;

/** The task's git workdir checked against the remote (undefined when the workdir is a local directory or unset). */
export async function checkedGitWorkdir(task: Task, onMessage: (m: string) => void = () => undefined): Promise<CheckedGitWorkdir | undefined> {
  const w = gitWorkdirOf(task);
  if (!w) return undefined;
  const creds = gitCredentials(task);
  onMessage(`Checking the git workdir ${displayUrl(w.url)}${w.ref ? ` at ${w.ref}` : ''}.`);
  return { workdir: await resolveGitWorkdir(w, creds), creds };
}

/** Clones (or updates) the repository at the ref into ~/sky_workdir on every node; returns the commit checked out. */
export async function cloneGitWorkdir(transports: Transport[], checked: CheckedGitWorkdir, signal?: AbortSignal): Promise<string> {
  const { workdir: w, creds } = checked;
  const stdin = `${creds.token ?? ''}\n${creds.sshKey ?? ''}`;
  const commits = await Promise.all(
    transports.map(async (t) => {
      const r = await t.exec(['bash', '-c', CLONE_SCRIPT, 'skydeck-git-clone', REMOTE_WORKDIR.replace(/^~\//, ''), w.url, w.kind, w.ref ?? ''], {
        stdin,
        cwd: '~',
        signal,
      });
      if (r.exitCode !== 0) {
        const why = redact(r.stderr || r.stdout, creds) || `exit code ${r.exitCode}`;
        throw new InputError(`workdir: cloning ${displayUrl(w.url)}${w.ref ? ` at ${w.ref}` : ''} on ${t.description} failed: ${why}`, {
          code: 'GIT_CLONE_FAILED',
          hint:
            r.exitCode === 90
              ? 'Install git on the nodes (image_id or the pool hosts).'
              : 'Check GIT_TOKEN / GIT_SSH_KEY_PATH and that the nodes can reach the repository.',
        });
      }
      return r.stdout.trim().split('\n').pop() ?? '';
    }),
  );
  return commits[0] ?? '';
}
