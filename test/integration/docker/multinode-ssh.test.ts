/**
 * A two-node `image_id: docker:<image>` task on an SSH node pool of two network-namespace
 * hosts, each with a Docker daemon of its own (test/helpers/docker.ts): one container per node, the
 * head's agent on the head's host starts each rank in its node's container (the worker's over
 * ssh from the head), with SKYPILOT_NODE_RANK / SKYPILOT_NODE_IPS as SkyPilot sets them.
 * `run`, `exec`, `logs` and `cancel` reach both containers; `down` removes both.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { clusters, findCluster } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { nodeContainerName } from '../../../engine/cluster/containers';
import { fastAgent, freshHome, makeTask, waitFor } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { containersOn, dockerMissing, useHostDaemons, type HostDaemon } from '../../helpers/docker';

requirePrerequisite(netnsSkipReason() ?? dockerMissing());

async function output(name: string, jobId: number): Promise<string> {
  let out = '';
  await clusters.tailLogs(name, jobId, { follow: true, onData: (c) => (out += c) });
  return out;
}

describe('docker: images on a two-host SSH node pool', { concurrency: false }, () => {
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let daemons: HostDaemon[] = [];
  let image: string;
  let stopDaemons: (() => Promise<void>) | undefined;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    hosts = await startSshHosts({ loopback: false, netnsHosts: 2 });
    ({ daemons, image, stop: stopDaemons } = await useHostDaemons(hosts.hosts));
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { pair: hosts.hosts });
  });

  after(async () => {
    await clusters.down('md2').catch(() => undefined);
    closeAllSshConnections();
    await stopDaemons?.();
    await hosts?.stop();
    env?.cleanup();
  });

  test('run and exec on both nodes inside their containers; logs show both ranks', async () => {
    const workdir = path.join(env.home, 'wd');
    fs.mkdirSync(workdir, { recursive: true });
    fs.writeFileSync(path.join(workdir, 'in-workdir.txt'), 'w');
    const task = makeTask({
      infra: { cloud: 'ssh', region: 'pair' },
      numNodes: 2,
      workdir,
      setup: 'echo setup-rank=$SKYPILOT_SETUP_NODE_RANK marker=$(cat /image-marker)',
      run: 'echo rank=$SKYPILOT_NODE_RANK marker=$(cat /image-marker) host=$(hostname) home=$HOME files=$(ls) ips=$(echo $SKYPILOT_NODE_IPS | tr " " ,)',
    });
    task.resources.base.imageId = `docker:${image}`;
    const r = await clusters.launch(task, { clusterName: 'md2' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const rec = (await findCluster('md2'))!;
    const ips = rec.nodes.map((n) => n.internalIp).join(',');
    const [h1, h2] = hosts.hosts;
    const log = await output('md2', r.jobId!);
    assert.match(log, /setup-rank=0 marker=base/);
    assert.match(log, /setup-rank=1 marker=base/);
    // Each rank in its own host's container: the image's file, the host's hostname (--network host), the workdir.
    assert.match(log, new RegExp(`\\(head, rank=0, ip=${h1.host}\\) rank=0 marker=base host=${h1.hostname} home=/root files=.*in-workdir\\.txt.* ips=${ips}`));
    assert.match(
      log,
      new RegExp(`\\(worker1, rank=1, ip=${h2.host}\\) rank=1 marker=base host=${h2.hostname} home=/root files=.*in-workdir\\.txt.* ips=${ips}`),
    );
    for (const [rank, d] of daemons.entries())
      assert.deepEqual(containersOn(d, nodeContainerName(rec, rank)), [{ name: nodeContainerName(rec, rank), state: 'running' }]);
    // The hosts' user is root with nsenter: every rank entered its container by PID (docker exec is the fallback).
    assert.ok(rec.container?.entries?.length === 2 && rec.container.entries.every(Boolean), JSON.stringify(rec.container));
    // The hosts themselves got no workdir: it went into the containers.
    for (const h of hosts.hosts) assert.equal(fs.existsSync(path.join(h.homeDir, 'sky_workdir')), false);

    const ex = await clusters.exec('md2', makeTask({ numNodes: 2, run: 'echo exec-rank=$SKYPILOT_NODE_RANK marker=$(cat /image-marker) host=$(hostname)' }));
    assert.equal(ex.jobStatus, 'SUCCEEDED');
    const exLog = await output('md2', ex.jobId!);
    assert.match(exLog, new RegExp(`exec-rank=0 marker=base host=${h1.hostname}`));
    assert.match(exLog, new RegExp(`exec-rank=1 marker=base host=${h2.hostname}`));
  });

  test('cancel ends the ranks in both containers', async () => {
    const rec = (await findCluster('md2'))!;
    const long = await clusters.exec('md2', makeTask({ numNodes: 2, run: 'echo started-$SKYPILOT_NODE_RANK; exec sleep 300' }), { detachRun: true });
    await waitFor('the long job to run', async () => (await clusters.queue('md2')).find((j) => j.id === long.jobId && j.status === 'RUNNING'));
    const top = (rank: number) => daemons[rank].docker(['top', nodeContainerName(rec, rank), '-o', 'pid,args']);
    await waitFor('both ranks to start', () => [0, 1].every((rank) => /sleep 300/.test(top(rank))) || undefined, 60_000, 500);
    await clusters.cancel('md2', [long.jobId!]);
    assert.equal((await clusters.queue('md2')).find((j) => j.id === long.jobId)?.status, 'CANCELLED');
    for (const rank of [0, 1]) await waitFor(`rank ${rank}'s sleep to end`, () => !/sleep 300/.test(top(rank)) || undefined, 30_000, 500);
  });

  test('down removes both containers', async () => {
    const rec = (await findCluster('md2'))!;
    await clusters.down('md2');
    for (const [rank, d] of daemons.entries()) assert.deepEqual(containersOn(d, nodeContainerName(rec, rank)), []);
  });
});
