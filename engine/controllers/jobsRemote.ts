/**
 * Managed jobs on the jobs controller cluster: submitting (the task's local files copied,
 * the task handed to the node's CLI as JSON) and keeping the controller cluster busy while
 * jobs run. As SkyPilot's controller runs one job on its controller cluster per managed job,
 * a `jobs hold` job runs on the controller cluster's agent while any managed job is
 * unfinished, so the controller's autostop counts from when the last job ended.
 */
import type { ConfigMap } from '../config/types';
import { clusters, findCluster } from '../cluster';
import { withAccess } from '../cluster/access';
import { submitJob } from '../cluster/nodeOps';
import { SkyDeckError } from '../errors';
import { parseTaskText } from '../task/load';
import type { TaskFile } from '../task/types';
import { ensureControllerCluster, runRemoteCli, type ControllerConnection } from './remote';
import { controllerAutostop } from './resources';
import { uploadTaskFiles } from './uploads';

const HOLD_JOB_NAME = 'skydeck-jobs-hold';

export async function submitRemoteJob(
  file: TaskFile,
  name: string | undefined,
  config: ConfigMap,
  onProgress: (m: string) => void,
): Promise<{ conn: ControllerConnection; id: number }> {
  const conn = await ensureControllerCluster('jobs', { config, uploadCredentials: true, onProgress });
  try {
    const uploaded = await uploadTaskFiles(conn.transport, conn.home, file);
    const r = await runRemoteCli(conn, ['jobs', 'submit', ...(name !== undefined ? ['--name', name] : [])], { stdin: JSON.stringify(uploaded) });
    if (r.exitCode !== 0)
      throw new SkyDeckError(
        'CONTROLLER_SUBMIT_FAILED',
        `The jobs controller on '${conn.record.name}' refused the job: ${r.stderr.trim() || `exit ${r.exitCode}`}`,
      );
    const id = Number((JSON.parse(r.stdout) as { id: number }).id);
    await keepBusy(conn, config).catch((e: unknown) => onProgress(`Could not start the controller's hold job (its autostop may fire early): ${String(e)}`));
    return { conn, id };
  } catch (e) {
    await conn.close();
    throw e;
  }
}

/**
 * Starts the hold job unless one is running. A controller found by discovery (discover.ts)
 * is not in this machine's store, so the job goes to its agent directly.
 */
async function keepBusy(conn: ControllerConnection, config: ConfigMap): Promise<void> {
  const saved = await findCluster(conn.record.name);
  if (saved ? !saved.autostop : !controllerAutostop('jobs', config)) return;
  const running = await clusters.queue(conn.record.name, { skipFinished: true, record: conn.record });
  if (running.some((j) => j.name === HOLD_JOB_NAME)) return;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const run = `export SKYDECK_HOME=${q(conn.home)} SKYDECK_CONTROLLER=local; exec ${q(conn.node)} ${q(`${conn.root}/bundle/dist/cli.js`)} jobs hold`;
  const task = parseTaskText(JSON.stringify({ name: HOLD_JOB_NAME, run })).taskFile!.tasks[0];
  if (saved) await clusters.exec(conn.record.name, task, { detachRun: true });
  else await withAccess(conn.record, (a) => submitJob(a, conn.record, task, {}, { withSetup: false }));
}
