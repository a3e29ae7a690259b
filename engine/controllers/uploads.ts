/**
 * A task's local files for a controller on a cluster: the workdir and local file-mount
 * sources are copied to the controller node (under its SKYDECK_HOME/uploads/<id>/) and the
 * task is rewritten to point at the copies, so the controller syncs them to the job's
 * cluster exactly as a local controller would (SkyPilot's controllers get them the same way
 * when no bucket is configured).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { syncFilter } from '../cluster/syncFilter';
import type { Transport } from '../node/transport';
import type { TaskFile } from '../task/types';

function isLocalSource(source: string): boolean {
  return !/^[a-z][a-z0-9+.-]*:\/\//i.test(source);
}

function localPath(source: string, workdir: string | undefined): string {
  return source.startsWith('~/') ? path.join(os.homedir(), source.slice(2)) : path.resolve(workdir ?? process.cwd(), source);
}

async function putPath(t: Transport, local: string, remote: string, filter?: (rel: string) => boolean): Promise<void> {
  if (fs.statSync(local).isDirectory()) await t.putDir(local, remote, filter);
  else await t.putFile(remote, fs.readFileSync(local), fs.statSync(local).mode & 0o777);
}

/** Copies what the tasks read from this machine; returns the task file pointing at the copies. */
export async function uploadTaskFiles(t: Transport, remoteHome: string, file: TaskFile): Promise<TaskFile> {
  const base = `${remoteHome}/uploads/${Date.now()}-${randomBytes(4).toString('hex')}`;
  const tasks = [];
  for (const [i, task] of file.tasks.entries()) {
    const next = { ...task, fileMounts: { ...task.fileMounts } };
    const workdir = task.workdir && isLocalSource(task.workdir) ? path.resolve(task.workdir) : undefined;
    for (const [dest, source] of Object.entries(task.fileMounts)) {
      if (typeof source !== 'string' || !isLocalSource(source)) continue;
      const local = localPath(source, workdir);
      const remote = `${base}/task-${i}/mounts/${Object.keys(next.fileMounts).indexOf(dest)}-${path.basename(local)}`;
      await putPath(t, local, remote);
      next.fileMounts[dest] = remote;
    }
    if (workdir) {
      const remote = `${base}/task-${i}/workdir`;
      await putPath(t, workdir, remote, syncFilter(workdir));
      next.workdir = remote;
    }
    tasks.push(next);
  }
  return { ...file, tasks };
}
