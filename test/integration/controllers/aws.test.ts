/**
 * The controller-VM path on a cloud: with AWS enabled (moto), the jobs controller cluster is a
 * VM launched by the cluster engine (RunInstances through moto, the controller's resources
 * from `jobs.controller.resources`), reached through the test address mapping on a
 * network-namespace sshd host; SkyDeck is installed there and runs a managed job on an SSH
 * pool of two other hosts, and the client's `jobs queue` reads it from the controller VM; so
 * does a second client with the same AWS credentials and SkyDeck key, which finds the VM by
 * its tag.
 */
import { useTestHostKey } from '../cluster/helpers';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { controllerClusterName } from '../../../engine/controllers/names';
import type { ManagedJobsState } from '../../../engine/jobs/types';
import { CLI, clientEnv, nodeHome, readJson, type ClientEnv } from './helpers';

const skip = requirePrerequisite(
  netnsSkipReason() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)') ?? builtFiles(CLI),
);

describe('jobs controller on an AWS VM (moto)', { skip, concurrency: false }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let e: ClientEnv;
  let other: ClientEnv | undefined;

  before(async () => {
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: false, netnsHosts: 3 })], (s) => s.stop());
    const [vm, ...work] = hosts.hosts;
    e = clientEnv({
      SKYDECK_AWS_ENDPOINT: moto.proxyUrl,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SKYDECK_CATALOG_DIR: path.resolve(__dirname, '../clouds/fixtures/catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${vm.user}@${vm.host}:${vm.port}`] }),
    });
    e.env.AWS_SHARED_CREDENTIALS_FILE = path.join(e.home, 'no-aws-credentials');
    e.env.AWS_CONFIG_FILE = path.join(e.home, 'no-aws-config');
    // The engine's client key is the one the test hosts authorize (what cloud-init does with the instance's key).
    useTestHostKey(e.home, hosts);
    writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { work });
  });

  after(async () => {
    await Promise.allSettled([moto?.stop(), hosts?.stop()]);
    for (const c of [e, other]) if (c) fs.rmSync(c.home, { recursive: true, force: true });
  });

  test('jobs launch starts the controller VM, installs SkyDeck there, and the job runs from it', { timeout: 600_000 }, async () => {
    const job = e.write('job.yaml', 'name: awsjob\nresources:\n  infra: ssh/work\nrun: echo "ran on $(hostname)"\n');
    const launched = await e.cli(['jobs', 'launch', job, '-y', '-d', '--config', 'jobs.controller.resources.infra=aws']);
    assert.equal(launched.code, 0, launched.stderr);
    const id = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);
    assert.ok(
      moto.calls.some((c) => c.action === 'RunInstances'),
      `RunInstances was asked: ${moto.calls.map((c) => c.action).join(' ')}`,
    );

    const status = await e.cli(['status', '--json']);
    const row = (JSON.parse(status.stdout) as { name: string; status: string; cloud?: string; infra?: string; owner: string | null }[]).find(
      (c) => c.name === controllerClusterName('jobs'),
    );
    assert.ok(row, status.stdout);
    assert.equal(row.status, 'UP');
    assert.equal(row.owner, 'controller:jobs');
    assert.match(JSON.stringify(row), /aws/i);

    const stateDir = path.join(nodeHome(hosts.hosts[0]), 'state');
    const read = () => readJson<ManagedJobsState>(path.join(stateDir, 'managed_jobs.json'))?.jobs[id];
    await until(`job ${id} SUCCEEDED on the controller VM`, () => read()?.status === 'SUCCEEDED' || undefined, {
      timeoutMs: 300_000,
      everyMs: 250,
      watch: [stateDir],
      detail: () => JSON.stringify(read(), null, 1),
    });
    const queue = await e.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    assert.equal((JSON.parse(queue.stdout) as { id: number; status: string }[]).find((r) => r.id === id)?.status, 'SUCCEEDED');
    const logs = await e.cli(['jobs', 'logs', String(id), '--no-follow']);
    assert.match(
      logs.stdout,
      new RegExp(
        `ran on (${hosts.hosts
          .slice(1)
          .map((h) => h.hostname)
          .join('|')})`,
      ),
    );
  });

  test('another machine with the same AWS credentials and SkyDeck key finds the controller VM by its tag and reads the job', { timeout: 300_000 }, async () => {
    other = clientEnv({ ...Object.fromEntries(Object.entries(e.env).filter(([k]) => /^(AWS_|SKYDECK_(AWS|CATALOG|CLOUD|SSH_WAIT|TEST_ADDRESS))/.test(k))) });
    useTestHostKey(other.home, hosts);
    writeNodePoolsYaml(path.join(other.home, 'ssh_node_pools.yaml'), { work: hosts.hosts.slice(1) });
    const before = moto.calls.length;
    const queue = await other.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    assert.equal((JSON.parse(queue.stdout) as { name: string; status: string }[]).find((r) => r.name === 'awsjob')?.status, 'SUCCEEDED', queue.stdout);
    assert.ok(
      moto.calls.slice(before).some((c) => c.action === 'DescribeInstances'),
      'found through the instances EC2 lists for the tag',
    );
    assert.ok(!moto.calls.slice(before).some((c) => c.action === 'RunInstances'), 'nothing was launched');
  });
});
