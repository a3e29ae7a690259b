/**
 * `aws.remote_identity` on the jobs controller cluster, end to end through the built CLI: with
 * `[{sky-jobs-controller-*: SERVICE_ACCOUNT}]` the controller VM (moto) runs with the
 * skypilot-v1 instance profile, this machine's AWS credential files are not copied to it (its
 * env.sh lets the SDK use the instance's own identity instead), and `jobs launch` says how the
 * controller authenticates. The VM is a network-namespace sshd host (test address mapping);
 * the job runs on an SSH pool of another host.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { useTestHostKey } from '../cluster/helpers';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { controllerClusterName } from '../../../engine/controllers/names';
import { CLI, clientEnv, nodeHome, type ClientEnv } from '../controllers/helpers';

const skip = requirePrerequisite(
  netnsSkipReason() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)') ?? builtFiles(CLI),
);

describe('aws.remote_identity on the jobs controller VM (moto)', { skip, concurrency: false }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let e: ClientEnv;

  before(async () => {
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: false, netnsHosts: 2 })], (s) => s.stop());
    const [vm, ...work] = hosts.hosts;
    e = clientEnv({
      SKYDECK_AWS_ENDPOINT: moto.proxyUrl,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      SKYDECK_CATALOG_DIR: path.resolve(__dirname, 'fixtures/catalog'),
      SKYDECK_CLOUD_POLL_MS: '50',
      SKYDECK_SSH_WAIT_SECONDS: '60',
      SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': [`${vm.user}@${vm.host}:${vm.port}`] }),
    });
    delete e.env.AWS_ACCESS_KEY_ID;
    delete e.env.AWS_SECRET_ACCESS_KEY;
    delete e.env.AWS_PROFILE;
    // Credential files: what LOCAL_CREDENTIALS would copy to the controller.
    e.env.AWS_SHARED_CREDENTIALS_FILE = e.write('aws-credentials', '[default]\naws_access_key_id = testing\naws_secret_access_key = testing\n');
    e.env.AWS_CONFIG_FILE = e.write('aws-config', '[default]\nregion = us-east-1\n');
    e.write('config.yaml', "aws:\n  remote_identity:\n    - 'sky-jobs-controller-*': SERVICE_ACCOUNT\n");
    useTestHostKey(e.home, hosts);
    writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { work });
    // SkyPilot's profile, made once per account (SkyDeck attaches it; it has no IAM client to make it).
    for (const params of <Record<string, string>[]>[
      { Action: 'CreateRole', RoleName: 'skypilot-v1', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' },
      { Action: 'CreateInstanceProfile', InstanceProfileName: 'skypilot-v1' },
      { Action: 'AddRoleToInstanceProfile', InstanceProfileName: 'skypilot-v1', RoleName: 'skypilot-v1' },
    ]) {
      const r = await fetch(moto.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: new URLSearchParams({ Version: '2010-05-08', ...params }).toString(),
      });
      assert.ok(r.ok, `${params.Action}: ${await r.text()}`);
    }
  });

  after(async () => {
    await Promise.allSettled([moto?.stop(), hosts?.stop()]);
    if (e) fs.rmSync(e.home, { recursive: true, force: true });
  });

  test('the controller VM has skypilot-v1, no AWS credential files, and the launch says so', { timeout: 600_000 }, async () => {
    const job = e.write('job.yaml', 'name: idjob\nresources:\n  infra: ssh/work\nrun: echo hi\n');
    const launched = await e.cli(['jobs', 'launch', job, '-y', '-d', '--config', 'jobs.controller.resources.infra=aws']);
    assert.equal(launched.code, 0, launched.stderr);
    assert.match(
      launched.stdout + launched.stderr,
      /AWS credential files are not copied \(aws\.remote_identity gives 'sky-jobs-controller-[^']+' SERVICE_ACCOUNT\): the controller authenticates to AWS with its instance profile 'skypilot-v1'/,
    );

    const ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const r = await ec2.send(new DescribeInstancesCommand({}));
    const vms = (r.Reservations ?? []).flatMap((x) => x.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
    const controller = vms.find((i) => i.Tags?.some((t) => t.Key === 'skydeck-cluster-name' && t.Value === controllerClusterName('jobs')));
    assert.ok(controller, JSON.stringify(vms.map((i) => i.Tags)));
    assert.match(controller.IamInstanceProfile?.Arn ?? '', /instance-profile\/skypilot-v1$/);

    const creds = path.join(nodeHome(hosts.hosts[0]), 'credentials');
    assert.equal(fs.existsSync(path.join(creds, 'cloud', 'aws')), false, 'no AWS credential file on the controller');
    const envSh = fs.readFileSync(path.join(creds, 'env.sh'), 'utf8');
    assert.match(envSh, /export AWS_EC2_METADATA_DISABLED='false'/);
    assert.doesNotMatch(envSh, /AWS_SHARED_CREDENTIALS_FILE/);
  });
});
