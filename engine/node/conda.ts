/**
 * `provision.install_conda`: SkyPilot installs Miniconda on every node while it provisions
 * (unless `conda` is already on the PATH), into ~/miniconda3, runs `conda init` and activates
 * `base` (sky/skylet/constants.py, CONDA_INSTALLATION_COMMANDS: Python 3.10's Miniconda
 * 23.11.0-2 for the node's `uname -m`). SkyDeck runs the same installer at bring-up, before
 * the agent, when the key is true. SkyPilot's default is true; SkyDeck's is not to install
 * (its nodes never needed conda, and a default download would need the internet on every
 * node), so only an explicit `true` installs.
 */
import { activeConfig } from '../config/active';
import { getPath } from '../config/merge';
import type { ConfigMap } from '../config/types';
import { SkyDeckError } from '../errors';
import type { Transport } from './transport';

/** The installer SkyPilot pins (one per architecture, by `uname -m`). */
export const MINICONDA_URL = 'https://repo.anaconda.com/miniconda/Miniconda3-py310_23.11.0-2-Linux-$(uname -m).sh';

const SCRIPT = [
  'set -u',
  'command -v conda >/dev/null 2>&1 && { echo "conda already installed: $(command -v conda)"; exit 0; }',
  'root="$HOME/miniconda3"',
  'if [ ! -x "$root/bin/conda" ]; then',
  '  installer=$(mktemp "${TMPDIR:-/tmp}/miniconda_XXXXXXXX.sh") || exit 90',
  `  curl -fsSL ${MINICONDA_URL} -o "$installer" || { rc=$?; rm -f "$installer"; echo "downloading Miniconda failed (curl exit $rc)" >&2; exit 91; }`,
  // An image with conda installed but not on the PATH still gets initialised below.
  '  bash "$installer" -b -p "$root"; rc=$?; rm -f "$installer"; [ $rc -eq 0 ] || { echo "the Miniconda installer exited with $rc" >&2; exit 92; }',
  'fi',
  '"$root/bin/conda" init bash >/dev/null || exit 93',
  '"$root/bin/conda" config --set auto_activate_base true || exit 93',
  'echo "conda installed: $root"',
].join('\n');

/** Whether the configuration in force asks for conda on the nodes (only an explicit `true`). */
export function condaRequested(config: ConfigMap = activeConfig()): boolean {
  return getPath(config, ['provision', 'install_conda']) === true;
}

/** Installs conda on every node in parallel; a node that fails fails the bring-up with its output. */
export async function installConda(transports: Transport[]): Promise<void> {
  await Promise.all(
    transports.map(async (t) => {
      const r = await t.exec(['bash', '-c', SCRIPT]);
      if (r.exitCode === 0) return;
      const tail = `${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join('\n');
      throw new SkyDeckError('CONDA_INSTALL_FAILED', `provision.install_conda: installing conda on ${t.description} failed (exit ${r.exitCode}): ${tail}`, {
        hint:
          r.exitCode === 91
            ? 'The node needs curl and access to repo.anaconda.com; or set provision.install_conda: false, or use an image with conda.'
            : 'Set provision.install_conda: false to skip it, or use an image with conda on the PATH.',
      });
    }),
  );
}
