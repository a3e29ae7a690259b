/**
 * Remote-SSH attach (editor-anchors §3): make sure the generated ssh config is included
 * at the top of ~/.ssh/config (the cluster engine's helper), check that Remote-SSH or an
 * open-remote-ssh fork is installed (offer to install it), then open the node's workdir
 * with `vscode.openFolder` on `vscode-remote://ssh-remote+<alias>/<path>` in a new window.
 * Without Remote-SSH, an SSH terminal is offered instead.
 */
import * as vscode from 'vscode';
import type { ClusterRecord } from '../../engine/cluster/types';
import { engineBundle } from '../engine/index';

const REMOTE_SSH_IDS = ['ms-vscode-remote.remote-ssh', 'jeanp413.open-remote-ssh', 'codeium.windsurf-remote-openssh', 'anysphere.remote-ssh'];

/** SkyPilot's aliases: head `<cluster>`, workers `<cluster>-worker<rank>`. */
function hostAlias(cluster: string, rank = 0): string {
  return rank === 0 ? cluster : `${cluster}-worker${rank}`;
}

/** The folder to open: the synced workdir (`~/sky_workdir`, made absolute: Remote-SSH does not expand `~`). */
function remoteFolder(record: ClusterRecord | undefined, rank = 0): string {
  const data = record?.handle?.data as Record<string, unknown> | undefined;
  if (typeof data?.workdir === 'string' && data.workdir.startsWith('/')) return data.workdir;
  const user = record?.nodes?.find((n) => n.rank === rank)?.ssh?.user;
  if (!user) return '/';
  return `${user === 'root' ? '/root' : `/home/${user}`}/sky_workdir`;
}

function remoteUri(alias: string, folder: string): vscode.Uri {
  return vscode.Uri.from({ scheme: 'vscode-remote', authority: `ssh-remote+${alias}`, path: folder.startsWith('/') ? folder : `/${folder}` });
}

function installedRemoteSsh(): string | undefined {
  return REMOTE_SSH_IDS.find((id) => vscode.extensions.getExtension(id));
}

async function ensureSshInclude(): Promise<void> {
  (await engineBundle()).ensureInclude();
}

export function openSshTerminal(cluster: string, rank = 0): vscode.Terminal {
  const alias = hostAlias(cluster, rank);
  const term = vscode.window.createTerminal({ name: `SkyDeck: ${alias}`, shellPath: 'ssh', shellArgs: [alias], iconPath: new vscode.ThemeIcon('remote') });
  term.show();
  return term;
}

export async function attachRemoteSsh(cluster: ClusterRecord, rank: number): Promise<void> {
  if (cluster.status !== 'UP') throw Object.assign(new Error(`Cluster ${cluster.name} is ${cluster.status}; start it first.`), { code: 'CLUSTER_NOT_UP' });
  await ensureSshInclude();
  const alias = hostAlias(cluster.name, rank);
  if (!installedRemoteSsh()) {
    const install = 'Install Remote-SSH';
    const terminal = 'Open SSH Terminal';
    const choice = await vscode.window.showInformationMessage(
      `Opening ${alias} in a VS Code window needs the Remote-SSH extension (or an open-remote-ssh fork).`,
      install,
      terminal,
    );
    if (choice === terminal) {
      openSshTerminal(cluster.name, rank);
      return;
    }
    if (choice !== install) return;
    await vscode.commands.executeCommand('workbench.extensions.installExtension', REMOTE_SSH_IDS[0]);
    if (!installedRemoteSsh()) {
      void vscode.window
        .showWarningMessage('Remote-SSH is not available yet. Reload the window after it installs, or use the SSH terminal.', terminal)
        .then((c) => {
          if (c === terminal) openSshTerminal(cluster.name, rank);
        });
      return;
    }
  }
  await vscode.commands.executeCommand('vscode.openFolder', remoteUri(alias, remoteFolder(cluster, rank)), { forceNewWindow: true, noRecentEntry: false });
}
