/**
 * Autostop on AWS (moto), with the instance stood in for by a network-namespace sshd host: the
 * launch asks EC2 for the shutdown behaviour autostop needs (terminate for autodown, stop
 * otherwise; `skydeck autostop --down` later changes it), and the node itself issues the
 * guest shutdown when idle (recorded by the stand-in: powering off the test host would power
 * off this machine). What EC2 then does (terminate/stop) is applied to moto by hand, and the
 * next `status -r` shows the cluster gone or STOPPED.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DescribeInstanceAttributeCommand, EC2Client, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { startTogether } from '../../helpers/startTogether';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { fastAgent, freshHome, makeTask, useMotoAws, useTestHostKey } from '../cluster/helpers';
import { clusters, findCluster } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { GUEST_SHUTDOWN } from '../../../engine/vmShared/guestShutdown';

const skip = requirePrerequisite(netnsSkipReason() ?? (motoInstalled() ? undefined : 'moto (installed into .tools/moto by scripts/setup/30-moto.sh)'));
const SAVED_ENV = { ...process.env };
const MINUTE_MS = 1000;

describe('autostop on AWS (moto) with the node on a netns sshd host', { skip, concurrency: false, timeout: 480_000 }, () => {
  let moto: MotoServer;
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;
  let ec2: EC2Client;

  before(async () => {
    env = freshHome();
    fastAgent(MINUTE_MS);
    [moto, hosts] = await startTogether<[MotoServer, SshTestHosts]>([startMoto(), startSshHosts({ loopback: false, netnsHosts: 1 })], (s) => s.stop());
    ec2 = new EC2Client({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    useTestHostKey(env.home, hosts);
    const [h1] = hosts.hosts;
    useMotoAws(env.home, moto.proxyUrl, [h1]);
  });

  after(async () => {
    for (const name of ['aws-ad', 'aws-as']) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await Promise.allSettled([moto?.stop(), hosts?.stop()]);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  const behaviour = async (id: string) =>
    (await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceInitiatedShutdownBehavior' }))).InstanceInitiatedShutdownBehavior
      ?.Value;
  const shutdownLog = () => path.join(hosts.hosts[0].homeDir, '.skydeck_guest_shutdown');
  const nodeShutDown = () =>
    until('the node to issue its guest shutdown', () => (fs.existsSync(shutdownLog()) ? true : undefined), { timeoutMs: 90_000, everyMs: 200 });

  test('-i 1 --down: launched with shutdown behaviour terminate; the idle node shuts itself down; status then shows it gone', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'aws', region: 'us-east-1' }, run: 'echo hi' }), {
      clusterName: 'aws-ad',
      idleMinutesToAutostop: 1,
      down: true,
    });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const id = r.cluster.nodes[0].id;
    assert.equal(await behaviour(id), 'terminate');
    closeAllSshConnections();
    await nodeShutDown();
    assert.match(fs.readFileSync(shutdownLog(), 'utf8'), new RegExp(`^\\d+ ${GUEST_SHUTDOWN.replace(/[|]/g, '\\|')}\\n$`));
    // What EC2 does on a guest shutdown with behaviour terminate.
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual(await clusters.status({ refresh: true, names: ['aws-ad'] }), []);
    assert.equal(await findCluster('aws-ad'), undefined);
    fs.rmSync(shutdownLog());
  });

  test('-i 1 (stop): behaviour stop, changed to terminate by `autostop --down`; a stopped node shows STOPPED', async () => {
    const r = await clusters.launch(makeTask({ infra: { cloud: 'aws', region: 'us-east-1' }, run: 'echo hi' }), {
      clusterName: 'aws-as',
      idleMinutesToAutostop: 10,
    });
    const id = r.cluster.nodes[0].id;
    assert.equal(await behaviour(id), 'stop');
    await clusters.autostop('aws-as', 10, true);
    assert.equal(await behaviour(id), 'terminate');
    await clusters.autostop('aws-as', 1, false);
    assert.equal(await behaviour(id), 'stop');
    closeAllSshConnections();
    await nodeShutDown();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    const [rec] = await clusters.status({ refresh: true, names: ['aws-as'] });
    assert.equal(rec.status, 'STOPPED');
    await clusters.down('aws-as');
  });
});
