/**
 * The head's own cloud API access for autostop (docs/AUTOSTOP.md): when autostop is set, the
 * files the provider's action needs (a credential, the cluster's coordinates;
 * Provider.autostopFiles) go to the head in AUTOSTOP_FILES_DIR, the directory 0700 and every
 * file 0600, written through the transport (SFTP), so the secret passes through no argv,
 * environment, log or record. Cancelling autostop removes the directory: the credential is on
 * the node only while an action may need it.
 */
import { AUTOSTOP_FILES_DIR, type AutostopFile, type Provider } from '../infra/provider';
import type { Transport } from '../node/transport';
import { SkyDeckError } from '../errors';
import type { ClusterRecord } from './types';

async function run(head: Transport, script: string, what: string): Promise<void> {
  const r = await head.exec(['bash', '-c', script]);
  if (r.exitCode !== 0) {
    throw new SkyDeckError('REMOTE_WRITE_FAILED', `Could not ${what} on ${head.description}: ${r.stderr.trim() || `exit ${r.exitCode}`}`);
  }
}

/** Places the provider's autostop files on the head (replacing what an earlier setting left); none: removes them. */
export async function placeAutostopFiles(provider: Provider, rec: ClusterRecord, head: Transport, down: boolean): Promise<void> {
  const files: AutostopFile[] = provider.autostopFiles ? await provider.autostopFiles(rec.handle, down) : [];
  if (!files.length) {
    if (provider.autostopFiles) await removeAutostopFiles(head);
    return;
  }
  const dir = AUTOSTOP_FILES_DIR;
  await run(head, `umask 077 && rm -rf "$HOME/${dir}" && mkdir -p "$HOME/${dir}" && chmod 700 "$HOME/${dir}"`, 'prepare the autostop credential directory');
  for (const f of files) {
    if (!/^[A-Za-z0-9._-]+$/.test(f.name)) throw new SkyDeckError('INTERNAL', `Invalid autostop file name '${f.name}'.`);
    await head.putFile(`${dir}/${f.name}`, f.content, 0o600);
  }
  // SFTP applies the server's umask to the mode it is given: make sure nothing is wider than 0600.
  await run(head, `chmod 600 "$HOME/${dir}"/*`, 'restrict the autostop credential files');
}

/** Removes the head's autostop files (autostop cancelled). */
export async function removeAutostopFiles(head: Transport): Promise<void> {
  await run(head, `rm -rf "$HOME/${AUTOSTOP_FILES_DIR}"`, 'remove the autostop credential directory');
}
