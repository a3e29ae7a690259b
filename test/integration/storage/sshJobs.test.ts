/**
 * The checkpoint guarantee on an SSH node pool: network-namespace hosts (real sshd each, a
 * private HOME and mount namespace) reach moto through a forwarder on the bridge's root-side
 * address. The job writes step 3 into its MOUNT bucket on one host, that host vanishes, the
 * recovered run on another host reads 3 and goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { jobLogPath } from '../../../engine/jobs/paths';
import { isTerminal } from '../../../engine/jobs/types';
import { getStore } from '../../../engine/storage/stores';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { netnsSkipReason, startSshHosts } from '../../helpers/sshd';
import { CLI, jobsEnv, segments } from '../jobs/helpers';
import { s3Endpoint, storagePrerequisites } from './helpers';

const skip = requirePrerequisite(
  netnsSkipReason() ??
    builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js'), path.join(path.dirname(CLI), 'stores', 's3.js')) ??
    storagePrerequisites(),
);

/** Forwards `listenHost`:port to moto on loopback (the netns hosts cannot reach this machine's 127.0.0.1). */
async function forwarder(listenHost: string, target: URL): Promise<{ url: string; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const up = net.connect(Number(target.port), target.hostname);
    for (const s of [client, up]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => s.destroy());
    }
    client.pipe(up).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, listenHost, resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `http://${listenHost}:${port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

test('SSH pool: checkpoints in a MOUNT bucket survive a vanished host', { skip, timeout: 600_000 }, async (t) => {
  const moto = await s3Endpoint();
  const hosts = await startSshHosts({ loopback: false, netnsHosts: 2 });
  const gateway = hosts.hosts[0].host.replace(/\.\d+$/, '.1');
  const fwd = await forwarder(gateway, new URL(moto.url));
  process.env.AWS_ENDPOINT_URL_S3 = fwd.url;
  // The vanished host's teardown fails on every attempt before its cluster is purged: one retry, not four.
  const e = jobsEnv({ SKYDECK_JOBS_UNKNOWN_GRACE_MS: '5000', SKYDECK_SSH_CONNECT_TIMEOUT_MS: '2000', SKYDECK_JOBS_DOWN_ATTEMPTS: '2' });
  t.after(async () => {
    await e.cleanup();
    await hosts.stop();
    await fwd.close();
    await moto.stop();
  });
  writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { pool: hosts.hosts });
  const bucketName = 'st-ckpt-ssh';
  const run = [
    'start=0; [ -f ~/ckpt/step ] && start=$(cat ~/ckpt/step)',
    'echo "on $(hostname) resumed from $start"',
    'for i in $(seq $((start+1)) 5); do',
    '  echo $i > ~/ckpt/step; echo "step $i"',
    '  if [ $i = 3 ] && [ $start = 0 ]; then while true; do sleep 1; done; fi',
    'done',
  ].join('\n');
  const file = e.write(
    'ckpt.yaml',
    `name: sckpt\nresources:\n  infra: ssh/pool\nfile_mounts:\n  ~/ckpt:\n    name: ${bucketName}\n    mode: MOUNT\nrun: |\n${run.replace(/^/gm, '  ')}\n`,
  );
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
  assert.equal(r.code, 0, r.stderr);
  const id = Number(/Managed job ID: (\d+)/.exec(r.stdout)![1]);
  const log = () => (fs.existsSync(jobLogPath(id)) ? fs.readFileSync(jobLogPath(id), 'utf8') : '');
  await e.waitJob(id, 'RUNNING at step 3', (j) => j.status === 'RUNNING' && /step 3/.test(log()), 300_000);
  assert.deepEqual(await getStore('s3').list({ store: 's3', bucket: bucketName, prefix: '' }), ['step']);
  const first = /^on (\S+) resumed from 0$/m.exec(log())![1];
  await hosts.hosts.find((h) => h.hostname === first)!.kill();
  const done = await e.waitJob(id, 'terminal', (j) => isTerminal(j.status), 300_000);
  assert.equal(done.status, 'SUCCEEDED', done.failureReason);
  const segs = segments(log());
  assert.equal(segs.length, 2, log());
  assert.match(segs[1][0], /^on (\S+) resumed from 3$/);
  assert.notEqual(/^on (\S+)/.exec(segs[1][0])![1], first, 'recovered on the other host');
  assert.deepEqual(segs[1].slice(1), ['step 4', 'step 5']);
});
