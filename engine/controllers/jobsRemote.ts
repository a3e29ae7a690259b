/**
 * Managed jobs on the jobs controller cluster: submitting (the task's local files copied,
 * the task handed to the node's CLI as JSON) and keeping the controller cluster busy while
 * jobs run. As SkyPilot's controller runs one job on its controller cluster per managed job,
 * a `jobs hold` job runs on the controller cluster's agent while any managed job is
 * unfinished, so the controller's autostop counts from when the last job ended.
 */
import type { ConfigMap } from '../config/types';
import { SkyDeckError } from '../errors';
import type { TaskFile } from '../task/types';
import { keepControllerBusy } from './hold';
import { ensureControllerCluster, runRemoteCli, type ControllerConnection } from './remote';
import { uploadTaskFiles } from './uploads';

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
    await keepControllerBusy(conn, config).catch((e: unknown) =>
      onProgress(`Could not start the controller's hold job (its autostop may fire early): ${String(e)}`),
    );
    return { conn, id };
  } catch (e) {
    await conn.close();
    throw e;
  }
}
