/**
 * `image_id: docker:<image>` on an SSH node pool (a network-namespace sshd host): the
 * container runs on the pool host (its docker client reaches the tests' daemon through
 * SKYDECK_DOCKER_HOST: a unix socket crosses network namespaces; with `--network host` the
 * container joins the daemon's network namespace), setup and run happen inside, exec and
 * cancel reach inside, `ssh <cluster>` lands in the container, stop/start/down act on it.
 * The VM clouds reach their nodes over SSH too and take this same path.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { clusters, findCluster } from '../../../engine/cluster';
import { clusterSshConfigPath } from '../../../engine/cluster/sshConfig';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { nodeContainerName } from '../../../engine/cluster/containers';
import { fastAgent, freshHome, makeTask, waitFor } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { buildTestImage, containersNamed, dockerMissing, ensureDockerDaemon } from '../../helpers/docker';

requirePrerequisite(netnsSkipReason() ?? dockerMissing());

async function output(name: string, jobId: number): Promise<string> {
  let out = '';
  await clusters.tailLogs(name, jobId, { follow: true, onData: (c) => (out += c) });
  return out;
}

describe('docker: images on SSH node pools', { concurrency: false }, () => {
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let image: string;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    await ensureDockerDaemon();
    image = buildTestImage();
    hosts = await startSshHosts({ netnsHosts: 1 });
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { box: [hosts.hosts[0]] });
  });

  after(async () => {
    await clusters.down('sd1').catch(() => undefined);
    closeAllSshConnections();
    await hosts?.stop();
    env?.cleanup();
  });

  test('setup, run, exec and cancel inside the container on the pool host; ssh lands in it', async () => {
    const workdir = path.join(env.home, 'wd');
    fs.mkdirSync(workdir, { recursive: true });
    fs.writeFileSync(path.join(workdir, 'in-workdir.txt'), 'w');
    const task = makeTask({
      infra: { cloud: 'ssh', region: 'box' },
      workdir,
      setup: 'echo setup-marker=$(cat /image-marker)',
      run: 'echo run-marker=$(cat /image-marker) home=$HOME files=$(ls) rank=$SKYPILOT_NODE_RANK',
    });
    task.resources.base.imageId = `docker:${image}`;
    const r = await clusters.launch(task, { clusterName: 'sd1' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const log = await output('sd1', r.jobId!);
    assert.match(log, /setup-marker=base/);
    assert.match(log, /run-marker=base home=\/root files=.*in-workdir\.txt.* rank=0/);
    const rec = (await findCluster('sd1'))!;
    const name = nodeContainerName(rec, 0);
    assert.equal(containersNamed(name)[0]?.state, 'running');
    // The pool host's user is root with nsenter: commands enter the container by its PID there too.
    assert.ok(rec.container?.entries?.[0], JSON.stringify(rec.container));
    // The pool host itself got no workdir: it went into the container.
    assert.equal(fs.existsSync(path.join(hosts.hosts[0].homeDir, 'sky_workdir')), false);

    const ex = await clusters.exec('sd1', makeTask({ run: 'echo exec-marker=$(cat /image-marker)' }));
    assert.match(await output('sd1', ex.jobId!), /exec-marker=base/);
    const long = await clusters.exec('sd1', makeTask({ run: 'sleep 300' }), { detachRun: true });
    await waitFor('the long job to run', async () => (await clusters.queue('sd1')).find((j) => j.id === long.jobId && j.status === 'RUNNING'));
    await clusters.cancel('sd1', [long.jobId!]);
    assert.equal((await clusters.queue('sd1')).find((j) => j.id === long.jobId)?.status, 'CANCELLED');

    // `ssh sd1` (what Remote-SSH and a terminal use) lands in the container, as SkyPilot's does.
    const cfg = fs.readFileSync(clusterSshConfigPath('sd1'), 'utf8');
    assert.match(cfg, new RegExp(`RemoteCommand .*docker exec -it -w /root ${name} bash -l`));
    const ssh = spawnSync('ssh', ['-tt', '-F', env.sshConfig, '-o', 'BatchMode=yes', 'sd1'], {
      input: 'echo attached-marker=$(cat /image-marker); exit\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.match(ssh.stdout, /attached-marker=base/, ssh.stderr);
  });

  test('stop stops the container, start brings it back with its files, down removes it', async () => {
    const rec = (await findCluster('sd1'))!;
    const name = nodeContainerName(rec, 0);
    await clusters.exec('sd1', makeTask({ run: 'echo kept > /root/kept.txt' }));
    await clusters.stop('sd1');
    assert.equal(containersNamed(name)[0]?.state, 'exited');
    await clusters.start('sd1');
    assert.equal(containersNamed(name)[0]?.state, 'running');
    const back = await clusters.exec('sd1', makeTask({ run: 'cat /root/kept.txt' }));
    assert.match(await output('sd1', back.jobId!), /kept/);
    await clusters.down('sd1');
    assert.deepEqual(containersNamed(name), []);
  });
});
