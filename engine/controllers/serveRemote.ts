/**
 * Services on the serve controller cluster: the service YAML (with the command line's
 * options applied) is copied to the node and `serve up`/`serve update` run there; the
 * controller and its load balancer are then processes of the node, and the endpoint is the
 * node's address (remote.ts passes it).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ConfigMap } from '../config/types';
import { ensureControllerCluster, forwardVerb, type ControllerConnection } from './remote';

async function uploadServiceYaml(conn: ControllerConnection, file: string): Promise<string> {
  const remote = `${conn.home}/uploads/${Date.now()}-${randomBytes(4).toString('hex')}/${path.basename(file)}`;
  await conn.transport.putFile(remote, fs.readFileSync(file), 0o600);
  return remote;
}

/** `serve up` there; resolves to the remote exit code (output goes to this process). */
export async function serveUpRemote(file: string, name: string, config: ConfigMap, onProgress: (m: string) => void): Promise<number> {
  const conn = await ensureControllerCluster('serve', { config, uploadCredentials: true, onProgress });
  try {
    return await forwardVerb(conn, ['serve', 'up', await uploadServiceYaml(conn, file), '-n', name, '-y']);
  } finally {
    await conn.close();
  }
}

export async function serveUpdateRemote(conn: ControllerConnection, name: string, file: string, mode: string): Promise<number> {
  return forwardVerb(conn, ['serve', 'update', name, await uploadServiceYaml(conn, file), '--mode', mode, '-y']);
}
