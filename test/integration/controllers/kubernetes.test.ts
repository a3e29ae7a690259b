/**
 * The controller on Kubernetes (the fake API server, whose pods run exec'd commands as local
 * processes in a pod folder): `jobs launch` creates the controller pod through the cluster
 * engine with the controller's resources, installs SkyDeck in it over pods/exec, and the job
 * (on an SSH pool host in a network namespace) runs from there; `jobs queue` reads it back,
 * from this client and from a second one that has only the kubeconfig.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { controllerClusterName } from '../../../engine/controllers/names';
import type { ManagedJobsState } from '../../../engine/jobs/types';
import { CLI, clientEnv, readJson, type ClientEnv } from './helpers';

const skip = requirePrerequisite(netnsSkipReason() ?? builtFiles(CLI));

describe('jobs controller in a Kubernetes pod (fake API server)', { skip, concurrency: false }, () => {
  let fake: FakeKubernetes;
  let hosts: SshTestHosts;
  let e: ClientEnv;
  let other: ClientEnv | undefined;

  before(async () => {
    [fake, hosts] = await Promise.all([
      FakeKubernetes.start({ nodes: [{ name: 'cpu-node', cpu: '8', memory: '32Gi' }] }),
      startSshHosts({ loopback: false, netnsHosts: 1 }),
    ]);
    e = clientEnv();
    e.env.KUBECONFIG = fake.writeKubeconfig(path.join(e.home, 'kubeconfig'), [{ name: 'fake' }]);
    writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { work: hosts.hosts });
  });

  after(async () => {
    await Promise.allSettled([fake?.close(), hosts?.stop()]);
    for (const c of [e, other]) if (c) fs.rmSync(c.home, { recursive: true, force: true });
  });

  test('jobs launch creates the controller pod, installs SkyDeck in it, and the job runs from it', { timeout: 600_000 }, async () => {
    const job = e.write('job.yaml', 'name: k8sjob\nresources:\n  infra: ssh/work\nrun: echo "ran on $(hostname)"\n');
    const launched = await e.cli(['jobs', 'launch', job, '-y', '-d', '--config', 'jobs.controller.resources.infra=kubernetes']);
    assert.equal(launched.code, 0, launched.stderr);
    const id = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);

    const name = controllerClusterName('jobs');
    const pods = fake.pods('default').filter((p) => JSON.stringify(p).includes(name));
    assert.equal(
      pods.length,
      1,
      `one controller pod: ${fake
        .pods('default')
        .map((p) => (p as { metadata: { name: string } }).metadata.name)
        .join(', ')}`,
    );
    const pod = pods[0] as { metadata: { name: string }; spec: { containers: { resources?: { requests?: Record<string, string> } }[] } };
    assert.equal(pod.spec.containers[0].resources?.requests?.cpu, '4', "the controller asks for SkyPilot's 4 CPUs");

    const stateDir = path.join(fake.podDir('default', pod.metadata.name), '.skydeck-controller', 'home', 'state');
    const read = () => readJson<ManagedJobsState>(path.join(stateDir, 'managed_jobs.json'))?.jobs[id];
    await until(`job ${id} SUCCEEDED in the controller pod`, () => read()?.status === 'SUCCEEDED' || undefined, {
      timeoutMs: 300_000,
      everyMs: 250,
      watch: [stateDir],
      detail: () => JSON.stringify(read(), null, 1),
    });
    const queue = await e.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    assert.equal((JSON.parse(queue.stdout) as { id: number; status: string }[]).find((r) => r.id === id)?.status, 'SUCCEEDED');
    const status = await e.cli(['status', '--json']);
    const row = (JSON.parse(status.stdout) as { name: string; owner: string | null }[]).find((c) => c.name === name);
    assert.equal(row?.owner, 'controller:jobs');
  });

  test('another machine with only the kubeconfig finds the controller pod through the API server and reads the job', { timeout: 300_000 }, async () => {
    other = clientEnv();
    other.env.KUBECONFIG = e.env.KUBECONFIG;
    const queue = await other.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    const row = (JSON.parse(queue.stdout) as { name: string; status: string; id: number }[]).find((r) => r.name === 'k8sjob');
    assert.equal(row?.status, 'SUCCEEDED', queue.stdout);
    const logs = await other.cli(['jobs', 'logs', String(row.id), '--no-follow']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, new RegExp(`ran on ${hosts.hosts[0].hostname}`));
    assert.deepEqual(JSON.parse((await other.cli(['status', '--json'])).stdout), [], 'nothing was launched from it');
  });
});
