/**
 * A stopped jobs controller cluster (its autostop fired) is reported by `jobs queue`, not
 * started: a sidebar that lists jobs every few seconds must not undo the autostop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { controllerClusterName } from '../../../engine/controllers/names';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const CLI = path.resolve(__dirname, '../../../dist/cli.js');

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test(
  'jobs queue with a STOPPED controller cluster says so and lists nothing, without starting it',
  { skip: requirePrerequisite(builtFiles(CLI)) },
  async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ctl-stopped-'));
    try {
      const name = controllerClusterName('jobs');
      const rec = {
        name,
        status: 'STOPPED',
        handle: { clusterName: name, nameOnCloud: name, provider: 'ssh', region: 'ctl', data: { pool: 'ctl', hosts: [] } },
        resources: { cloud: 'ssh', region: 'ctl', instanceType: '-', useSpot: false, diskSizeGb: 50, ports: [], pricePerHour: 0 },
        numNodes: 1,
        nodes: [],
        launchedAt: Date.now(),
        accumulatedUpSeconds: 0,
        owner: 'controller:jobs',
      };
      fs.mkdirSync(path.join(home, 'state'), { recursive: true });
      fs.writeFileSync(path.join(home, 'state', 'clusters.json'), JSON.stringify({ version: 1, data: { clusters: { [name]: rec } } }));
      const env = { ...process.env, SKYDECK_HOME: home, SKYDECK_CONTROLLER: '' };
      const r = await cli(['jobs', 'queue', '--json'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), []);
      assert.match(r.stderr, new RegExp(`'${name}' is STOPPED.*skydeck jobs queue --refresh`));
      const after = JSON.parse(fs.readFileSync(path.join(home, 'state', 'clusters.json'), 'utf8')) as {
        data: { clusters: Record<string, { status: string }> };
      };
      assert.equal(after.data.clusters[name].status, 'STOPPED');
      // The user's choice still wins: --controller local lists this machine's jobs.
      const local = await cli(['jobs', 'queue', '--json', '--controller', 'local'], env);
      assert.equal(local.code, 0, local.stderr);
      assert.doesNotMatch(local.stderr, /STOPPED/);
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  },
);
