/** Where a managed job keeps its files under SKYDECK_HOME/managed_jobs/<id>/. */
import * as path from 'node:path';
import { homeSubdir } from '../util/paths';

function jobDir(id: number): string {
  return homeSubdir('managed_jobs', String(id));
}

/** The job's output across all runs, with a marker line at each recovery. */
export function jobLogPath(id: number): string {
  return path.join(jobDir(id), 'run.log');
}

/** A job group's task output across its runs (the group's tasks run at once, each writes its own). */
export function taskLogPath(id: number, task: number): string {
  return path.join(jobDir(id), `run-${task}.log`);
}

/** What the controller did for this job (`jobs logs --controller`). */
export function controllerLogPath(id: number): string {
  return path.join(jobDir(id), 'controller.log');
}

/** The submitted task file (0600: it may hold secrets, which never go to the store). */
export function taskFilePath(id: number): string {
  return path.join(jobDir(id), 'task.json');
}

/** stdout/stderr of a controller process (crashes land here). */
export function controllerProcessLogPath(pid: number): string {
  return path.join(homeSubdir('managed_jobs', 'controllers'), `${pid}.log`);
}

const CLUSTER_NAME_MAX = 25;

/** SkyPilot's job cluster name: `<task name truncated to 25>-<job id>`, made a valid cluster name. */
export function jobClusterName(taskName: string | undefined, jobId: number): string {
  let base = (taskName ?? 'sky-cmd').replace(/[^-_.a-zA-Z0-9]/g, '-');
  if (!/^[a-zA-Z]/.test(base)) base = `job-${base}`;
  base = base.slice(0, CLUSTER_NAME_MAX).replace(/[-_.]+$/, '');
  return `${base || 'job'}-${jobId}`;
}
