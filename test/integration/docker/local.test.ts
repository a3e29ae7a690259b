/**
 * `image_id: docker:<image>` on `local`: each node runs in its container (real dockerd, an
 * image built here). Setup and run happen inside with SkyPilot's variables, the workdir and
 * file mounts are there at the same paths, exec/queue/logs/cancel reach inside, and
 * stop/start/down/preempt act on the container.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster, preemptCluster } from '../../../engine/cluster';
import { patchCluster } from '../../../engine/cluster/records';
import { nodeContainerName } from '../../../engine/cluster/containers';
import { fastAgent, freshHome, makeTask, waitFor } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { buildTestImage, containersNamed, docker, dockerMissing, ensureDockerDaemon } from '../../helpers/docker';
import type { Task } from '../../../engine/task/types';

requirePrerequisite(dockerMissing());

function dockerTask(image: string, fields: Parameters<typeof makeTask>[0]): Task {
  const t = makeTask({ infra: { cloud: 'local' }, ...fields });
  t.resources.base.imageId = `docker:${image}`;
  return t;
}

async function output(name: string, jobId: number): Promise<string> {
  let out = '';
  await clusters.tailLogs(name, jobId, { follow: true, onData: (c) => (out += c) });
  return out;
}

describe('docker: images on local', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let image: string;
  before(async () => {
    env = freshHome();
    fastAgent(400);
    await ensureDockerDaemon();
    image = buildTestImage();
  });
  after(async () => {
    for (const name of ['dk1', 'dk2', 'dk3', 'dk4']) await clusters.down(name).catch(() => undefined);
    env.cleanup();
  });

  test('setup and run inside the container, with the workdir, file mounts and SKYPILOT_* variables', async () => {
    const workdir = path.join(env.home, 'wd');
    fs.mkdirSync(workdir, { recursive: true });
    fs.writeFileSync(path.join(workdir, 'in-workdir.txt'), 'w');
    const mount = path.join(env.home, 'data.txt');
    fs.writeFileSync(mount, 'mounted\n');
    const task = dockerTask(image, {
      workdir,
      fileMounts: { '/data/d.txt': mount },
      setup: 'echo setup-marker=$(cat /image-marker)',
      run: [
        'echo run-marker=$(cat /image-marker)',
        'echo files=$(ls)',
        'echo mount=$(cat /data/d.txt)',
        'echo rank=$SKYPILOT_NODE_RANK nodes=$SKYPILOT_NUM_NODES cluster=$(echo "$SKYPILOT_CLUSTER_INFO" | grep -o "\\"cluster_name\\": *\\"[^\\"]*\\"")',
        'echo shm=$(df -k /dev/shm | tail -1 | tr -s " " | cut -d" " -f2)',
      ].join('\n'),
    });
    const r = await clusters.launch(task, { clusterName: 'dk1' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const log = await output('dk1', r.jobId!);
    assert.match(log, /setup-marker=base/);
    assert.match(log, /run-marker=base/);
    assert.match(log, /files=.*in-workdir\.txt/);
    assert.match(log, /mount=mounted/);
    assert.match(log, /rank=0 nodes=1 cluster=.*dk1/);
    // SkyPilot's large /dev/shm, not docker's 64 MB default.
    const shmKb = Number(/shm=(\d+)/.exec(log)?.[1]);
    assert.ok(shmKb > 64 * 1024, `shm ${shmKb} kB`);
    // The file mount is inside the container only, not on this machine.
    assert.equal(fs.existsSync('/data/d.txt') && fs.readFileSync('/data/d.txt', 'utf8') === 'mounted\n', false);
    const rec = (await findCluster('dk1'))!;
    const name = nodeContainerName(rec, 0);
    assert.deepEqual(containersNamed(name), [{ name, state: 'running' }]);
    const inspect = JSON.parse(docker(['inspect', name]))[0];
    assert.equal(inspect.HostConfig.NetworkMode, 'host');
    // As root with nsenter, commands enter the container by its PID instead of `docker exec`.
    assert.equal(rec.container?.entries?.[0]?.pid, inspect.State.Pid);
  });

  test('a job entered by PID is in the container: its PID namespace, its cgroup, its env', async () => {
    const rec = (await findCluster('dk1'))!;
    const id = JSON.parse(docker(['inspect', nodeContainerName(rec, 0)]))[0].Id as string;
    const job = await clusters.exec(
      'dk1',
      makeTask({
        run: 'echo init=$(tr "\\0" " " < /proc/1/cmdline); echo cg=$(grep -c ' + id + ' /proc/self/cgroup); echo path=$PATH',
        envs: { FROM_TASK: 'x' },
      }),
    );
    assert.equal(job.jobStatus, 'SUCCEEDED');
    const log = await output('dk1', job.jobId!);
    assert.match(log, /init=\/sbin\/docker-init -- sleep infinity/);
    assert.match(log, /cg=[1-9]/);
    assert.match(log, /path=\/usr\/local\/bin:\/usr\/bin:\/bin\s/);
  });

  test('a recorded PID that no longer matches falls back to docker exec', async () => {
    const rec = (await findCluster('dk1'))!;
    await patchCluster('dk1', (r) => {
      r.container!.entries = [{ pid: rec.container!.entries![0]!.pid, start: '1' }];
    });
    try {
      const job = await clusters.exec('dk1', makeTask({ run: 'echo fallback-marker=$(cat /image-marker)' }));
      assert.equal(job.jobStatus, 'SUCCEEDED');
      assert.match(await output('dk1', job.jobId!), /fallback-marker=base/);
    } finally {
      await patchCluster('dk1', (r) => {
        r.container!.entries = rec.container!.entries;
      });
    }
  });

  test('exec, queue, logs and cancel reach inside the container', async () => {
    const job = await clusters.exec('dk1', makeTask({ run: 'echo exec-marker=$(cat /image-marker)' }));
    assert.equal(job.jobStatus, 'SUCCEEDED');
    assert.match(await output('dk1', job.jobId!), /exec-marker=base/);
    const long = await clusters.exec('dk1', makeTask({ run: 'echo started; sleep 300' }), { detachRun: true });
    await waitFor('the long job to run', async () => (await clusters.queue('dk1')).find((j) => j.id === long.jobId && j.status === 'RUNNING'));
    assert.deepEqual(await clusters.cancel('dk1', [long.jobId!]), [long.jobId]);
    const after = (await clusters.queue('dk1')).find((j) => j.id === long.jobId);
    assert.equal(after?.status, 'CANCELLED');
  });

  test('stop stops the container, start brings it back with its files, down removes it', async () => {
    const rec = (await findCluster('dk1'))!;
    const name = nodeContainerName(rec, 0);
    const w = await clusters.exec('dk1', makeTask({ run: 'mkdir -p /opt/kept && echo still-here > /opt/kept/f' }));
    assert.equal(w.jobStatus, 'SUCCEEDED');
    await clusters.stop('dk1');
    assert.equal(containersNamed(name)[0]?.state, 'exited');
    assert.equal((await findCluster('dk1'))?.status, 'STOPPED');
    await clusters.start('dk1');
    assert.equal(containersNamed(name)[0]?.state, 'running');
    const back = await clusters.exec('dk1', makeTask({ run: 'cat /opt/kept/f' }));
    assert.equal(back.jobStatus, 'SUCCEEDED');
    assert.match(await output('dk1', back.jobId!), /still-here/);
    await clusters.down('dk1');
    assert.deepEqual(containersNamed(name), []);
  });

  test('a machine without Docker gets one clear error naming what to install', async () => {
    const bin = fs.mkdtempSync(path.join(env.home, 'bin-'));
    fs.symlinkSync(fs.realpathSync('/bin/bash'), path.join(bin, 'bash'));
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      await assert.rejects(clusters.launch(dockerTask(image, { run: 'echo never' }), { clusterName: 'dk3' }), (e: Error & { code?: string; hint?: string }) => {
        assert.equal(e.code, 'CONTAINER_RUNTIME');
        assert.match(e.message, /^image_id docker:\S+ needs Docker on local node 0 \(127\.\d+\.\d+\.\d+\), and it has none\.$/);
        assert.match(e.hint ?? '', /sudo apt-get install docker\.io/);
        return true;
      });
    } finally {
      process.env.PATH = saved;
    }
    await clusters.down('dk3');
    assert.equal(await findCluster('dk3'), undefined);
  });

  test("two nodes: one container each, every rank in its own with SkyPilot's ranks and node IPs", async () => {
    const r = await clusters.launch(
      dockerTask(image, {
        numNodes: 2,
        setup: 'echo setup-in=$(grep -o -m1 "[0-9a-f]\\{64\\}" /proc/self/cgroup)',
        run: 'echo rank=$SKYPILOT_NODE_RANK in=$(grep -o -m1 "[0-9a-f]\\{64\\}" /proc/self/cgroup) marker=$(cat /image-marker) ips=$(echo $SKYPILOT_NODE_IPS | tr " " ,) n=$SKYPILOT_NUM_NODES',
      }),
      { clusterName: 'dk4' },
    );
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const log = await output('dk4', r.jobId!);
    const rec = (await findCluster('dk4'))!;
    const ids = [0, 1].map((rank) => JSON.parse(docker(['inspect', nodeContainerName(rec, rank)]))[0].Id as string);
    const ips = rec.nodes.map((n) => n.internalIp).join(',');
    assert.notEqual(ids[0], ids[1]);
    for (const rank of [0, 1]) {
      assert.match(log, new RegExp(`rank=${rank} in=${ids[rank]} marker=base ips=${ips.replace(/\./g, '\\.')} n=2`));
      assert.match(log, new RegExp(`setup-in=${ids[rank]}`));
    }
    const long = await clusters.exec('dk4', makeTask({ numNodes: 2, run: 'echo started; sleep 300' }), { detachRun: true });
    await waitFor('the 2-node job to run', async () => (await clusters.queue('dk4')).find((j) => j.id === long.jobId && j.status === 'RUNNING'));
    const sleeping = (rank: number) => docker(['top', nodeContainerName(rec, rank), '-o', 'pid,args']).includes('sleep 300');
    await waitFor('each rank to run in its own container', () => [0, 1].every(sleeping) || undefined);
    assert.deepEqual(await clusters.cancel('dk4', [long.jobId!]), [long.jobId]);
    // Cancel reached the worker's container: no `sleep 300` is left in either.
    await waitFor('no rank left running', () => ![0, 1].some(sleeping) || undefined);
    await clusters.down('dk4');
    assert.deepEqual(containersNamed(nodeContainerName(rec, 0).replace(/-0$/, '-')), []);
  });

  test('debug preempt kills the container', async () => {
    const r = await clusters.launch(dockerTask(image, { run: 'echo up' }), { clusterName: 'dk2' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const rec = (await findCluster('dk2'))!;
    const name = nodeContainerName(rec, 0);
    await preemptCluster('dk2');
    assert.deepEqual(containersNamed(name), []);
    await clusters.status({ refresh: true });
    assert.equal(await findCluster('dk2'), undefined);
  });
});
