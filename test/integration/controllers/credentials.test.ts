/**
 * Cloud credentials reach the controller cluster, as SkyPilot copies the user's credential
 * files to its controllers: a client whose AWS credentials are a shared credentials file (no
 * keys in its environment) submits a managed job for AWS with no placement option or config;
 * the controller cluster (SkyPilot's default for cloud infra) is the SSH pool host on
 * loopback, which reaches moto and the fake Kubernetes API server as the client does. The
 * controller launches the job's VM through moto with the copied file (the VM stands in as a
 * network-namespace sshd host reached with the copied cluster key), then, once the client
 * has a kubeconfig, a job's pod on the fake API server with the copied kubeconfig. The
 * secrets never appear in either side's state, logs or JSON output. A second machine with
 * the same credentials and a fresh SKYDECK_HOME then reads the jobs from the controller.
 */
import { useTestHostKey } from '../cluster/helpers';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
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

const AWS_SECRET = 'aws-secret-c0ffee-never-logged';
const K8S_TOKEN = 'k8s-token-c0ffee-never-logged';

/** Every file under `dir` (but `except`) whose content holds one of the secrets. */
function filesHoldingSecrets(dir: string, except?: string): string[] {
  const out: string[] = [];
  for (const rel of fs.readdirSync(dir, { recursive: true }).map(String)) {
    const file = path.join(dir, rel);
    if (except && file.startsWith(except)) continue;
    let st: fs.Stats;
    try {
      st = fs.lstatSync(file);
    } catch {
      continue;
    }
    if (!st.isFile() || st.size > 32 << 20) continue;
    const text = fs.readFileSync(file, 'latin1');
    if (text.includes(AWS_SECRET) || text.includes(K8S_TOKEN)) out.push(file);
  }
  return out;
}

describe('cloud credentials on the controller cluster (moto, fake Kubernetes)', { skip, concurrency: false }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let fake: FakeKubernetes;
  let creds: string;
  let e: ClientEnv;
  let other: ClientEnv | undefined;
  const ids: Record<string, number> = {};

  /** A machine of the user's: its credentials are files outside its SKYDECK_HOME. */
  function machine(): ClientEnv {
    const c = clientEnv({
      SKYDECK_AWS_ENDPOINT: moto.proxyUrl,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: path.join(creds, 'aws', 'credentials'),
      AWS_CONFIG_FILE: path.join(creds, 'aws', 'config'),
      SKYDECK_CATALOG_DIR: path.resolve(__dirname, '../clouds/fixtures/catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      // The job's VM: the network-namespace host.
      SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${hosts.hosts[1].user}@${hosts.hosts[1].host}:${hosts.hosts[1].port}`] }),
      KUBECONFIG: path.join(creds, 'no-kubeconfig-yet'),
    });
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'GOOGLE_APPLICATION_CREDENTIALS', 'AZURE_CONFIG_DIR'])
      delete c.env[k];
    c.env.HOME = path.join(creds, 'home');
    // The pool's identity file and the cluster key are the test hosts' (what cloud-init does with the instance's key).
    writeNodePoolsYaml(path.join(c.home, 'ssh_node_pools.yaml'), { ctl: [hosts.hosts[0]] });
    return c;
  }

  before(async () => {
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: true, netnsHosts: 1 })], (s) => s.stop());
    fake = await FakeKubernetes.start({ nodes: [{ name: 'cpu-node', cpu: '8', memory: '32Gi' }], token: K8S_TOKEN });
    creds = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ctl-creds-'));
    fs.mkdirSync(path.join(creds, 'aws'), { recursive: true });
    fs.mkdirSync(path.join(creds, 'home'), { recursive: true });
    fs.writeFileSync(path.join(creds, 'aws', 'credentials'), `[default]\naws_access_key_id = AKIACONTROLLERTEST\naws_secret_access_key = ${AWS_SECRET}\n`);
    fs.writeFileSync(path.join(creds, 'aws', 'config'), '[default]\nregion = us-east-1\n');
    e = machine();
    useTestHostKey(e.home, hosts);
  });

  after(async () => {
    await Promise.allSettled([moto?.stop(), hosts?.stop(), fake?.close()]);
    for (const dir of [e?.home, other?.home, creds]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const node = () => nodeHome(hosts.hosts[0]);
  const readJob = (id: number) => readJson<ManagedJobsState>(path.join(node(), 'state', 'managed_jobs.json'))?.jobs[id];
  const waitSucceeded = (id: number) =>
    until(`job ${id} SUCCEEDED on the controller`, () => readJob(id)?.status === 'SUCCEEDED' || undefined, {
      timeoutMs: 300_000,
      everyMs: 250,
      watch: [path.join(node(), 'state')],
      detail: () => JSON.stringify(readJob(id), null, 1),
    });

  test(
    'an AWS job, with no placement option, gets a controller cluster that launches its VM with the copied credentials file',
    { timeout: 600_000 },
    async () => {
      const job = e.write('aws.yaml', 'name: awsjob\nresources:\n  infra: aws\nrun: echo "ran on $(hostname)"\n');
      const launched = await e.cli(['jobs', 'launch', job, '-y', '-d']);
      assert.equal(launched.code, 0, launched.stderr);
      ids.aws = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);

      const status = await e.cli(['status', '--json']);
      const row = (JSON.parse(status.stdout) as { name: string; status: string; owner: string | null }[]).find((c) => c.name === controllerClusterName('jobs'));
      assert.deepEqual([row?.status, row?.owner], ['UP', 'controller:jobs'], status.stdout);
      assert.match(JSON.stringify(row), /ssh/, 'the controller is on the cheapest infra, the pool');

      await waitSucceeded(ids.aws);
      assert.ok(
        moto.calls.some((c) => c.action === 'RunInstances'),
        `the controller asked moto for the job's VM: ${moto.calls.map((c) => c.action).join(' ')}`,
      );
      const copied = path.join(node(), 'credentials', 'cloud', 'aws', 'credentials');
      assert.equal(fs.readFileSync(copied, 'utf8'), fs.readFileSync(path.join(creds, 'aws', 'credentials'), 'utf8'));
      assert.equal(fs.statSync(copied).mode & 0o777, 0o600);
      const envFile = fs.readFileSync(path.join(node(), 'credentials', 'env.sh'), 'utf8');
      assert.match(envFile, /AWS_SHARED_CREDENTIALS_FILE=.*credentials\/cloud\/aws\/credentials/);
      assert.ok(!envFile.includes(AWS_SECRET));

      const logs = await e.cli(['jobs', 'logs', String(ids.aws), '--no-follow']);
      assert.equal(logs.code, 0, logs.stderr);
      assert.match(logs.stdout, new RegExp(`ran on ${hosts.hosts[1].hostname}`));
    },
  );

  test('once the client has a kubeconfig, the next job runs in a pod the controller creates with the copied kubeconfig', { timeout: 600_000 }, async () => {
    e.env.KUBECONFIG = fake.writeKubeconfig(path.join(creds, 'kubeconfig'), [{ name: 'fake' }]);
    const job = e.write('k8s.yaml', 'name: podjob\nresources:\n  infra: k8s\n  cpus: 1\nrun: echo "ran in a pod"\n');
    const launched = await e.cli(['jobs', 'launch', job, '-y', '-d']);
    assert.equal(launched.code, 0, launched.stderr);
    ids.k8s = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);
    await waitSucceeded(ids.k8s);
    assert.ok(fs.existsSync(path.join(node(), 'credentials', 'cloud', 'kube', 'config')));
    const logs = await e.cli(['jobs', 'logs', String(ids.k8s), '--no-follow']);
    assert.match(logs.stdout, /ran in a pod/);
  });

  test('another machine with the same credentials reads the jobs from the controller; no secret is in state, logs or JSON', { timeout: 600_000 }, async () => {
    other = machine();
    other.env.KUBECONFIG = e.env.KUBECONFIG;
    const queue = await other.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    const rows = JSON.parse(queue.stdout) as { id: number; status: string }[];
    assert.deepEqual(
      [ids.aws, ids.k8s].map((id) => rows.find((r) => r.id === id)?.status),
      ['SUCCEEDED', 'SUCCEEDED'],
    );
    const logs = await other.cli(['jobs', 'logs', String(ids.aws), '--no-follow']);
    assert.match(logs.stdout, /ran on /);

    for (const out of [queue.stdout, (await e.cli(['status', '--json'])).stdout, (await e.cli(['jobs', 'queue', '--json'])).stdout])
      assert.ok(!out.includes(AWS_SECRET) && !out.includes(K8S_TOKEN));
    assert.deepEqual(filesHoldingSecrets(e.home), [], "the client's SKYDECK_HOME holds no secret");
    assert.deepEqual(filesHoldingSecrets(other.home), [], "the second machine's SKYDECK_HOME holds no secret");
    assert.deepEqual(filesHoldingSecrets(node(), path.join(node(), 'credentials')), [], 'only the credential copies hold them on the node');
  });
});
