/**
 * The hold job of a controller cluster: `jobs hold` / `serve hold` (engine/jobs/hold.ts,
 * engine/serve/hold.ts) runs on the controller cluster's agent while the controller has work
 * (an unfinished managed job, a service), so the cluster's autostop counts from when the last
 * of it ended, as SkyPilot's controllers run their work as jobs of the controller cluster.
 */
import type { ConfigMap } from '../config/types';
import { clusters, findCluster } from '../cluster';
import { withAccess } from '../cluster/access';
import { submitJob } from '../cluster/nodeOps';
import { parseTaskText } from '../task/load';
import type { ControllerConnection } from './remote';
import { controllerAutostop } from './resources';

export const HOLD_JOB_NAMES = { jobs: 'skydeck-jobs-hold', serve: 'skydeck-serve-hold' } as const;

/**
 * Starts the kind's hold job unless one is running or the cluster has no autostop. A
 * controller found by discovery (discover.ts) is not in this machine's store, so the job goes
 * to its agent directly.
 */
export async function keepControllerBusy(conn: ControllerConnection, config: ConfigMap): Promise<void> {
  const kind = conn.kind;
  const name = HOLD_JOB_NAMES[kind];
  const saved = await findCluster(conn.record.name);
  if (saved ? !saved.autostop : !controllerAutostop(kind, config)) return;
  const running = await clusters.queue(conn.record.name, { skipFinished: true, record: conn.record });
  if (running.some((j) => j.name === name)) return;
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const run = `export SKYDECK_HOME=${q(conn.home)} SKYDECK_CONTROLLER=local; exec ${q(conn.node)} ${q(`${conn.root}/bundle/dist/cli.js`)} ${kind} hold`;
  const task = parseTaskText(JSON.stringify({ name, run })).taskFile!.tasks[0];
  if (saved) await clusters.exec(conn.record.name, task, { detachRun: true });
  else await withAccess(conn.record, (a) => submitJob(a, conn.record, task, {}, { withSetup: false }));
}
