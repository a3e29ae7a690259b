/**
 * SkyDeck's own files on a controller node, so the controllers there are the same code as
 * on the user's machine: the CLI bundle (its `jobs`/`serve` verbs start the controllers),
 * the lean managed-jobs controller, the agent script, the provider bundles for the infra
 * the controller may launch on, the schemas and the catalog snapshot. Node itself is used
 * from the node's PATH when it is Node 20 or newer, else this Node's binary is copied
 * (same OS and architecture required).
 *
 * Layout under CONTROLLER_ROOT (`~/.skydeck-controller`): `bundle/` (replaced as a whole),
 * `bundle/skydeck-controller.json` (version, protocol, providers), `home/` (SKYDECK_HOME of
 * the controllers: the jobs' and services' state), `node` (a copied Node, when needed).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SkyDeckError } from '../errors';
import type { Transport } from '../node/transport';
import { packageRoot } from '../util/paths';
import type { ClientIdentity, InstalledController } from './handshake';

export const CONTROLLER_ROOT = '.skydeck-controller';
export const MARKER = 'skydeck-controller.json';

/** What one probe of the node says (one exec). */
export interface NodeFacts {
  home: string;
  installed?: InstalledController;
  /** The Node to run, or undefined when none is usable yet. */
  node?: string;
  arch: string;
  os: string;
}

const PROBE_SCRIPT = [
  `R="$HOME/${CONTROLLER_ROOT}"`,
  'echo "home=$HOME"',
  'echo "arch=$(uname -m)"',
  'echo "os=$(uname -s)"',
  `if [ -f "$R/bundle/${MARKER}" ]; then echo "marker=$(tr -d '\\n' < "$R/bundle/${MARKER}")"; fi`,
  'for n in "$R/node" "$(command -v node 2>/dev/null)"; do',
  '  [ -n "$n" ] && [ -x "$n" ] || continue',
  '  v=$("$n" -e "process.stdout.write(process.versions.node)" 2>/dev/null) || continue',
  '  [ "${v%%.*}" -ge 20 ] 2>/dev/null && { echo "node=$n"; break; }',
  'done',
].join('\n');

export async function probeNode(t: Transport): Promise<NodeFacts> {
  const r = await t.exec(['sh', '-c', PROBE_SCRIPT], { timeoutMs: 60_000 });
  if (r.exitCode !== 0) throw new SkyDeckError('CONTROLLER_PROBE_FAILED', `Could not inspect the controller node ${t.description}: ${r.stderr.trim()}`);
  const kv = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  let installed: InstalledController | undefined;
  try {
    const m = kv.get('marker');
    if (m) installed = JSON.parse(m) as InstalledController;
  } catch {
    installed = undefined; // a broken marker is reinstalled
  }
  return { home: kv.get('home') ?? '~', installed, node: kv.get('node') || undefined, arch: kv.get('arch') ?? '', os: kv.get('os') ?? '' };
}

const UNAME_ARCH: Record<string, string> = { x86_64: 'x64', aarch64: 'arm64', arm64: 'arm64' };

/** Copies this Node binary to the node when it has no usable Node (same OS and CPU only). */
async function installNode(t: Transport, facts: NodeFacts): Promise<string> {
  if (facts.os !== 'Linux' || process.platform !== 'linux' || UNAME_ARCH[facts.arch] !== process.arch)
    throw new SkyDeckError(
      'CONTROLLER_NO_NODE',
      `The controller node ${t.description} has no Node.js 20+ and is ${facts.os} ${facts.arch} (this machine: ${process.platform} ${process.arch}).`,
      {
        hint: 'Use a controller image with Node.js 20 or newer (jobs.controller.resources.image_id), or place the controller on matching infra.',
      },
    );
  const dest = `${facts.home}/${CONTROLLER_ROOT}/node`;
  await t.putFile(dest, fs.readFileSync(process.execPath), 0o755);
  return dest;
}

/** Stages the bundle locally (a temp folder) in the layout the node gets. */
function stageBundle(client: ClientIdentity, providers: string[]): { dir: string; cleanup: () => void } {
  const root = packageRoot();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-controller-bundle-'));
  const copy = (rel: string) => fs.cpSync(path.join(root, rel), path.join(dir, rel), { recursive: true, filter: (src) => !src.endsWith('.map') });
  for (const f of ['dist/cli.js', 'dist/cli-full.js', 'dist/jobs-controller.js', 'dist/agent.sh', 'schemas', 'catalogs']) {
    if (!fs.existsSync(path.join(root, f)))
      throw new SkyDeckError('CONTROLLER_BUNDLE_MISSING', `${path.join(root, f)} is missing: the controller bundle cannot be installed.`, {
        hint: 'Run `npm run build`.',
      });
    copy(f);
  }
  for (const p of providers) copy(`dist/providers/${p}.js`);
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'skydeck-controller', version: client.version, private: true }));
  const marker: InstalledController = { version: client.version, protocol: client.protocol, providers };
  fs.writeFileSync(path.join(dir, MARKER), JSON.stringify(marker));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Provider bundles a controller needs: those of the infra it may launch on (local never). */
export function providersFor(enabledInfra: string[]): string[] {
  const names = new Set(enabledInfra.map((i) => i.split('/')[0]).map((c) => (c === 'k8s' ? 'kubernetes' : c)));
  names.delete('local');
  const root = packageRoot();
  return [...names].filter((p) => fs.existsSync(path.join(root, 'dist', 'providers', `${p}.js`))).sort();
}

/**
 * Installs this SkyDeck's bundle (replacing the installed one as a whole: a new folder,
 * then a rename) and Node if needed. Returns the Node to run.
 */
export async function installBundle(t: Transport, facts: NodeFacts, client: ClientIdentity, providers: string[]): Promise<string> {
  const node = facts.node ?? (await installNode(t, facts));
  const staged = stageBundle(client, providers);
  const base = `${facts.home}/${CONTROLLER_ROOT}`;
  try {
    await t.exec(['rm', '-rf', `${base}/bundle.new`]);
    await t.putDir(staged.dir, `${base}/bundle.new`);
  } finally {
    staged.cleanup();
  }
  const swap = `cd "$1" && rm -rf bundle.old && { [ ! -d bundle ] || mv bundle bundle.old; } && mv bundle.new bundle && rm -rf bundle.old`;
  const r = await t.exec(['sh', '-c', swap, 'sh', base]);
  if (r.exitCode !== 0) throw new SkyDeckError('CONTROLLER_INSTALL_FAILED', `Installing SkyDeck on ${t.description} failed: ${r.stderr.trim()}`);
  return node;
}
