/**
 * `aws.remote_identity` as SkyPilot reads it: the identity per cluster name (first matching
 * glob; no match: LOCAL_CREDENTIALS), and which AWS credential files a controller cluster
 * gets: none with NO_UPLOAD (on any cloud), none on an AWS controller with an instance
 * profile (SERVICE_ACCOUNT or a named one), and the launch is told how the controller
 * authenticates instead.
 */
import { after, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setActiveConfig } from '../../../engine/config';
import type { ConfigMap } from '../../../engine/config/types';
import { cloudCredentialPlan } from '../../../engine/controllers/cloudCredentials';
import { awsRemoteIdentity, instanceProfileOf } from '../../../engine/infra/aws/remoteIdentity';
import { cloudInitUserData } from '../../../engine/infra/aws/userData';
import { parse } from 'yaml';
import { unhonouredWarnings } from '../../../engine/config/honoured';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-aws-identity-'));
after(() => fs.rmSync(home, { recursive: true, force: true }));
afterEach(() => setActiveConfig(undefined));

const creds = path.join(home, 'credentials');
fs.writeFileSync(creds, '[default]\naws_access_key_id = AKIA\naws_secret_access_key = file-secret\n');
const env = { HOME: path.join(home, 'nobody'), AWS_SHARED_CREDENTIALS_FILE: creds, AWS_CONFIG_FILE: path.join(home, 'no-config') };
const jobsController = { cloud: 'aws', clusterName: 'sky-jobs-controller-1a2b3c4d' };

describe('aws.remote_identity', () => {
  it('one value for every cluster, or the first matching glob; no match is LOCAL_CREDENTIALS', () => {
    assert.deepEqual(awsRemoteIdentity('c', {}), { kind: 'LOCAL_CREDENTIALS' });
    assert.deepEqual(awsRemoteIdentity('c', { aws: { remote_identity: 'SERVICE_ACCOUNT' } }), { kind: 'SERVICE_ACCOUNT', instanceProfile: 'skypilot-v1' });
    assert.deepEqual(awsRemoteIdentity('c', { aws: { remote_identity: 'NO_UPLOAD' } }), { kind: 'NO_UPLOAD' });
    const list: ConfigMap = { aws: { remote_identity: [{ 'train-*': 'train-profile' }, { 'sky-jobs-controller-*': 'SERVICE_ACCOUNT' }] } };
    assert.equal(instanceProfileOf(awsRemoteIdentity('train-7', list)), 'train-profile');
    assert.equal(instanceProfileOf(awsRemoteIdentity('sky-jobs-controller-1a2b', list)), 'skypilot-v1');
    assert.deepEqual(awsRemoteIdentity('dev', list), { kind: 'LOCAL_CREDENTIALS' });
  });

  it('LOCAL_CREDENTIALS (default): the AWS files go to the controller', () => {
    const plan = cloudCredentialPlan(env, jobsController);
    assert.deepEqual(
      plan.files.map((f) => f.dest),
      ['aws/credentials'],
    );
    assert.equal(plan.withheld.size, 0);
    assert.ok(plan.covered.has('aws'));
  });

  it('SERVICE_ACCOUNT: an AWS controller gets no files, authenticates with skypilot-v1, and says so', () => {
    setActiveConfig({ aws: { remote_identity: 'SERVICE_ACCOUNT' } });
    const plan = cloudCredentialPlan(env, jobsController);
    assert.deepEqual(plan.files, []);
    assert.deepEqual(plan.env, [{ name: 'AWS_EC2_METADATA_DISABLED', value: 'false' }]);
    assert.match(plan.withheld.get('aws') ?? '', /not copied .*SERVICE_ACCOUNT.*instance profile 'skypilot-v1'/);
    assert.ok(plan.covered.has('aws'), 'the controller reaches AWS through its instance profile');
    // A controller on another cloud has no instance profile: it still gets the files (SkyPilot's caveat).
    const onK8s = cloudCredentialPlan(env, { cloud: 'kubernetes', clusterName: jobsController.clusterName });
    assert.deepEqual(
      onK8s.files.map((f) => f.dest),
      ['aws/credentials'],
    );
  });

  it('a named profile for the controller by glob: no files on it; other clusters unaffected', () => {
    setActiveConfig({ aws: { remote_identity: [{ 'sky-jobs-controller-*': 'ctrl-profile' }] } });
    const plan = cloudCredentialPlan(env, jobsController);
    assert.deepEqual(plan.files, []);
    assert.match(plan.withheld.get('aws') ?? '', /instance profile 'ctrl-profile'/);
    const serve = cloudCredentialPlan(env, { cloud: 'aws', clusterName: 'sky-serve-controller-1a2b3c4d' });
    assert.deepEqual(
      serve.files.map((f) => f.dest),
      ['aws/credentials'],
    );
  });

  it('NO_UPLOAD: no AWS file goes to a controller on any cloud', () => {
    setActiveConfig({ aws: { remote_identity: 'NO_UPLOAD' } });
    for (const cloud of ['aws', 'kubernetes', 'gcp']) {
      const plan = cloudCredentialPlan(env, { cloud, clusterName: jobsController.clusterName });
      assert.deepEqual(plan.files, [], cloud);
      assert.match(plan.withheld.get('aws') ?? '', cloud === 'aws' ? /NO_UPLOAD.*node's own identity/ : /NO_UPLOAD.*credentials already on the node/);
      // Instance metadata is asked only where it exists.
      assert.equal(
        plan.env.some((v) => v.name === 'AWS_EC2_METADATA_DISABLED'),
        cloud === 'aws',
      );
      assert.equal(JSON.stringify(plan).includes('file-secret'), false);
    }
  });
});

describe('aws.ssh_user and aws.post_provision_runcmd: cloud-init user data', () => {
  it('nothing set: no user data', () => {
    assert.equal(cloudInitUserData('ssh-ed25519 AAAA k', {}), undefined);
  });
  it('the user with the key and sudo, and runcmd items as given (strings or argv lists)', () => {
    const text = cloudInitUserData('ssh-ed25519 AAAA k\n', { aws: { ssh_user: 'ec2-user', post_provision_runcmd: ['echo hi > /tmp/x', ['ls', '-l', '/']] } });
    assert.ok(text?.startsWith('#cloud-config\n'));
    assert.deepEqual(parse(text!), {
      users: [{ name: 'ec2-user', shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL', ssh_authorized_keys: ['ssh-ed25519 AAAA k'] }],
      runcmd: ['echo hi > /tmp/x', ['ls', '-l', '/']],
    });
  });
});

describe('honoured: no warning for the keys acted on; the reservation keys still warn', () => {
  it('warns for aws.prioritize_reservations and aws.specific_reservations only', () => {
    const config = {
      aws: {
        remote_identity: 'SERVICE_ACCOUNT',
        disk_encrypted: true,
        ssh_user: 'u',
        post_provision_runcmd: ['true'],
        prioritize_reservations: true,
        specific_reservations: ['cr-1'],
      },
    };
    assert.deepEqual(
      unhonouredWarnings(config, new Map()).map((w) => w.key),
      ['aws.prioritize_reservations', 'aws.specific_reservations'],
    );
  });
});
