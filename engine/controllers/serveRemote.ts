/**
 * Services on the serve controller cluster: the service YAML (with the command line's
 * options applied) is copied to the node with its local files (the workdir and local
 * file-mount sources, uploads.ts) and rewritten to point at the copies, then `serve up` /
 * `serve update` run there; the controller and its load balancer are processes of the
 * node, the replicas it launches get the files from there, and the endpoint is the node's
 * address (remote.ts passes it). While a service exists a `serve hold` job keeps the
 * cluster busy (hold.ts), so its autostop waits for the last service to go.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isMap, parseDocument } from 'yaml';
import type { ConfigMap } from '../config/types';
import { loadTaskFile } from '../task/load';
import { keepControllerBusy } from './hold';
import { ensureControllerCluster, forwardVerb, type ControllerConnection } from './remote';
import { uploadTaskFiles } from './uploads';

/** The YAML with its workdir and local file-mount sources replaced by their copies on the node. */
async function withUploadedFiles(conn: ControllerConnection, file: string): Promise<string> {
  const text = fs.readFileSync(file, 'utf8');
  const loaded = loadTaskFile(file);
  const task = loaded.tasks[0];
  const uploaded = (await uploadTaskFiles(conn.transport, conn.home, loaded)).tasks[0];
  const doc = parseDocument(text);
  if (uploaded.workdir !== task.workdir && typeof uploaded.workdir === 'string') doc.set('workdir', uploaded.workdir);
  const mounts = doc.get('file_mounts');
  for (const [dest, source] of Object.entries(uploaded.fileMounts)) {
    if (source !== task.fileMounts[dest] && typeof source === 'string' && isMap(mounts) && mounts.has(dest)) mounts.set(dest, source);
  }
  return doc.toString();
}

async function uploadServiceYaml(conn: ControllerConnection, file: string): Promise<string> {
  const remote = `${conn.home}/uploads/${Date.now()}-${randomBytes(4).toString('hex')}/${path.basename(file)}`;
  await conn.transport.putFile(remote, await withUploadedFiles(conn, file), 0o600);
  return remote;
}

/** `serve up` there; resolves to the remote exit code (output goes to this process). */
export async function serveUpRemote(file: string, name: string, config: ConfigMap, onProgress: (m: string) => void): Promise<number> {
  const conn = await ensureControllerCluster('serve', { config, uploadCredentials: true, onProgress });
  try {
    const code = await forwardVerb(conn, ['serve', 'up', await uploadServiceYaml(conn, file), '-n', name, '-y']);
    // The cluster's autostop must wait for the service (SkyPilot runs each service as a job of it).
    if (code === 0)
      await keepControllerBusy(conn, config).catch((e: unknown) =>
        onProgress(`Could not start the controller's hold job (its autostop may fire early): ${String(e)}`),
      );
    return code;
  } finally {
    await conn.close();
  }
}

export async function serveUpdateRemote(conn: ControllerConnection, name: string, file: string, mode: string): Promise<number> {
  return forwardVerb(conn, ['serve', 'update', name, await uploadServiceYaml(conn, file), '--mode', mode, '-y']);
}
