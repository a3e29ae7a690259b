/**
 * Controllers on controller clusters of an SSH node pool, hosts in network namespaces: the
 * controller hosts in pool `ctl`, the jobs' and replicas' hosts in pool `work`. The client is
 * this process's machine: once a job or service is submitted, every SkyDeck process of the
 * client is killed; the job's host is then preempted (the host vanishes) and the job recovers
 * with no client running (waits read the controller node's own store); the service keeps
 * answering through its endpoint, the controller node's address. Then the client's verbs
 * (queue, logs, status, serve status) show it all through the controller cluster.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshHost, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { controllerClusterName } from '../../../engine/controllers/names';
import { CONTROLLER_PROTOCOL } from '../../../engine/controllers/handshake';
import type { ManagedJobsState } from '../../../engine/jobs/types';
import { CLI, clientEnv, clientProcesses, killClientProcesses, nodeHome, readJson, type ClientEnv } from './helpers';

const skip = requirePrerequisite(netnsSkipReason() ?? builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));

function get(url: string): Promise<{ status: number; body: string } | undefined> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve(undefined));
    req.on('timeout', () => req.destroy());
  });
}

describe('controllers on an SSH controller cluster', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let e: ClientEnv;
  let ctl: SshHost[];
  let work: SshHost[];

  before(async () => {
    // The vanished work host's teardown fails on every attempt before its cluster is forgotten
    // (purged): one retry instead of four, whose backoffs added about half a minute.
    e = clientEnv({ SKYDECK_JOBS_DOWN_ATTEMPTS: '2' });
    hosts = await startSshHosts({ loopback: false, netnsHosts: 5 });
    ctl = hosts.hosts.slice(0, 2);
    work = hosts.hosts.slice(2);
    writeNodePoolsYaml(path.join(e.home, 'ssh_node_pools.yaml'), { ctl, work });
  });

  after(async () => {
    await hosts?.stop();
    for (const o of others) fs.rmSync(o.home, { recursive: true, force: true });
    if (e) {
      for (const pid of clientProcesses(e.home)) process.kill(pid, 'SIGKILL');
      fs.rmSync(e.home, { recursive: true, force: true });
    }
  });

  const others: ClientEnv[] = [];
  /** A second machine of the same user: a fresh SKYDECK_HOME with only the pools file (its identity files are the credentials). */
  const otherMachine = (): ClientEnv => {
    const other = clientEnv();
    writeNodePoolsYaml(path.join(other.home, 'ssh_node_pools.yaml'), { ctl, work });
    others.push(other);
    return other;
  };

  /** The host of a pool that runs the controllers of `kind` (its SKYDECK_HOME exists). */
  const controllerHost = (file: string): SshHost | undefined => ctl.find((h) => fs.existsSync(path.join(nodeHome(h), file)));

  test('a managed job recovers from a preemption while no client process runs', { timeout: 900_000 }, async () => {
    const release = path.join(e.home, 'release');
    const job = e.write(
      'job.yaml',
      [
        'name: ctljob',
        'resources:',
        '  infra: ssh/work',
        'run: |',
        '  echo "on $(hostname)"',
        `  for i in $(seq 1 6); do echo "step $i"; if [ $i = 3 ]; then while [ ! -e ${release} ]; do sleep 0.1; done; fi; done`,
        '',
      ].join('\n'),
    );
    const launched = await e.cli(['jobs', 'launch', job, '-y', '-d', '--config', 'jobs.controller.resources.infra=ssh/ctl']);
    assert.equal(launched.code, 0, launched.stderr);
    const id = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);

    // The controller cluster is a cluster of the client, marked as the controller.
    const status = await e.cli(['status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const ctlRow = (JSON.parse(status.stdout) as { name: string; status: string; owner: string | null }[]).find(
      (c) => c.name === controllerClusterName('jobs'),
    );
    assert.deepEqual([ctlRow?.status, ctlRow?.owner], ['UP', 'controller:jobs'], status.stdout);
    assert.ok(
      !fs.existsSync(path.join(e.home, 'state', 'managed_jobs.json')) ||
        !Object.keys(readJson<ManagedJobsState>(path.join(e.home, 'state', 'managed_jobs.json'))?.jobs ?? {}).length,
      'no job in the client store',
    );

    killClientProcesses(e.home);
    assert.deepEqual(clientProcesses(e.home), []);

    const node = controllerHost(path.join('state', 'managed_jobs.json'));
    assert.ok(node, 'the job is in the store of a ctl host');
    const stateDir = path.join(nodeHome(node), 'state');
    const runLog = path.join(nodeHome(node), 'managed_jobs', String(id), 'run.log');
    const read = () => readJson<ManagedJobsState>(path.join(stateDir, 'managed_jobs.json'))?.jobs[id];
    const logText = () => (fs.existsSync(runLog) ? fs.readFileSync(runLog, 'utf8') : '');
    const wait = (what: string, pred: () => boolean) =>
      until(`job ${id} ${what}`, () => pred() || undefined, {
        timeoutMs: 300_000,
        everyMs: 250,
        watch: [stateDir],
        detail: () => `job: ${JSON.stringify(read(), null, 1)}\nlog:\n${logText()}`,
      });

    await wait('RUNNING at step 3', () => read()?.status === 'RUNNING' && logText().includes('step 3\n'));
    const first = /^on (\S+)$/m.exec(logText())![1];
    const victim = work.find((h) => h.hostname === first);
    assert.ok(victim, `${first} is a work host`);
    await victim.kill();
    await wait('recovered and RUNNING at step 3 again', () => {
      const j = read();
      return !!j && j.status === 'RUNNING' && j.tasks[0].recoveries >= 1 && (logText().split('[skydeck] ====').pop() ?? '').includes('step 3\n');
    });
    assert.deepEqual(clientProcesses(e.home), [], 'recovery ran without any client process');
    fs.writeFileSync(release, '');
    await wait('SUCCEEDED', () => read()?.status === 'SUCCEEDED');

    // The client's verbs, from a machine with no local controller, go to the controller cluster.
    const queue = await e.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    const row = (JSON.parse(queue.stdout) as { id: number; status: string; recoveries: number }[]).find((r) => r.id === id);
    assert.deepEqual([row?.status, row?.recoveries], ['SUCCEEDED', 1]);
    const logs = await e.cli(['jobs', 'logs', String(id), '--no-follow']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /step 6/);
    const second = [...logs.stdout.matchAll(/^on (\S+)$/gm)].map((m) => m[1]);
    assert.equal(second.length, 2, logs.stdout);
    assert.notEqual(second[1], first, 'recovered on another host');
  });

  test(
    'version handshake: an older controller with a running job keeps working; another protocol is refused with what to do; idle, it is upgraded',
    { timeout: 900_000 },
    async () => {
      const release = path.join(e.home, 'release-v');
      const job = e.write(
        'vjob.yaml',
        ['name: vjob', 'resources:', '  infra: ssh/work', 'run: |', `  echo started; while [ ! -e ${release} ]; do sleep 0.1; done; echo released`, ''].join(
          '\n',
        ),
      );
      // An older SkyDeck submits: the idle controller is reinstalled with its version.
      const launched = await e.cli(['jobs', 'launch', job, '-y', '-d'], { SKYDECK_VERSION: '0.0.9' });
      assert.equal(launched.code, 0, launched.stderr);
      assert.match(launched.stderr, /Installing SkyDeck 0\.0\.9/);
      assert.doesNotMatch(launched.stderr, /hold job/);
      const id = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);
      const node = controllerHost(path.join('state', 'managed_jobs.json'))!;
      const marker = path.join(node.homeDir, '.skydeck-controller', 'bundle', 'skydeck-controller.json');
      const installed = () => JSON.parse(fs.readFileSync(marker, 'utf8')) as { version: string; protocol: number };
      assert.equal(installed().version, '0.0.9');
      const stateDir = path.join(nodeHome(node), 'state');
      const read = () => readJson<ManagedJobsState>(path.join(stateDir, 'managed_jobs.json'))?.jobs[id];
      await until(`job ${id} RUNNING`, () => read()?.status === 'RUNNING' || undefined, { timeoutMs: 300_000, everyMs: 250, watch: [stateDir] });

      // This (newer) client: the busy controller keeps its version and keeps answering.
      const queue = await e.cli(['jobs', 'queue', '--json']);
      assert.equal(queue.code, 0, queue.stderr);
      assert.match(queue.stderr, /runs SkyDeck 0\.0\.9 \(this is 0\.1\.0\) and has 1 unfinished managed job/);
      assert.equal((JSON.parse(queue.stdout) as { id: number; status: string }[]).find((r) => r.id === id)?.status, 'RUNNING');
      assert.equal(installed().version, '0.0.9');

      // A controller speaking another protocol while busy: refused, with the way out.
      fs.writeFileSync(marker, JSON.stringify({ ...installed(), protocol: CONTROLLER_PROTOCOL + 1 }));
      const refused = await e.cli(['jobs', 'queue', '--json']);
      assert.equal(refused.code, 1, refused.stdout);
      assert.match(refused.stderr, /runs SkyDeck 0\.0\.9 \(controller protocol \d+\); this SkyDeck 0\.1\.0 speaks protocol \d+/);
      assert.match(refused.stderr, /Manage them with SkyDeck 0\.0\.9/);

      fs.writeFileSync(release, '');
      await until(`job ${id} SUCCEEDED`, () => read()?.status === 'SUCCEEDED' || undefined, { timeoutMs: 300_000, everyMs: 250, watch: [stateDir] });
      // Idle now: the next command upgrades it, and the job's history is still there.
      const after = await e.cli(['jobs', 'queue', '--json']);
      assert.equal(after.code, 0, after.stderr);
      assert.match(after.stderr, /Installing SkyDeck 0\.1\.0/);
      assert.deepEqual([installed().version, installed().protocol], ['0.1.0', CONTROLLER_PROTOCOL]);
      assert.equal((JSON.parse(after.stdout) as { id: number; status: string }[]).find((r) => r.id === id)?.status, 'SUCCEEDED');
    },
  );

  test(
    'a service keeps answering through the controller node endpoint with no client process; its workdir and file mounts reach the replicas from there',
    { timeout: 900_000 },
    async () => {
      // Relative paths: the node resolves nothing against this machine's directories, so the
      // replica can only read these files through the copies `serve up` put on the controller.
      fs.mkdirSync(path.join(e.home, 'site'), { recursive: true });
      fs.writeFileSync(path.join(e.home, 'site', 'greeting.txt'), 'hello');
      fs.writeFileSync(path.join(e.home, 'site', 'extra.txt'), 'mounted');
      const server =
        "const fs = require('fs'), os = require('os'); require('http').createServer((q, s) => s.end(fs.readFileSync('greeting.txt', 'utf8') + ' ' + fs.readFileSync(os.homedir() + '/extra.txt', 'utf8') + ' from ' + os.hostname())).listen(8080, '0.0.0.0')";
      const svc = e.write(
        'svc.yaml',
        [
          'service:',
          '  readiness_probe: /',
          '  replicas: 1',
          'resources:',
          '  infra: ssh/work',
          '  ports: 8080',
          'workdir: ./site',
          'file_mounts:',
          '  ~/extra.txt: extra.txt',
          'run: |',
          `  exec ${process.execPath} -e ${JSON.stringify(server)}`,
          '',
        ].join('\n'),
      );
      const up = await e.cli(['serve', 'up', svc, '-n', 'web', '-y', '--config', 'serve.controller.resources.infra=ssh/ctl']);
      assert.equal(up.code, 0, up.stderr);
      const endpoint = /Endpoint: (\S+)/.exec(up.stdout)?.[1];
      assert.ok(endpoint, up.stdout);
      const node = controllerHost(path.join('state', 'services.json'));
      assert.ok(node, 'the service is in the store of a ctl host');
      assert.equal(new URL(endpoint).hostname, node.host, "the endpoint is the controller node's address");
      const uploads = fs.readdirSync(path.join(nodeHome(node), 'uploads'), { recursive: true }).map(String);
      assert.ok(
        uploads.some((f) => f.endsWith(path.join('workdir', 'greeting.txt'))),
        `the workdir was copied to the controller: ${uploads.join(' ')}`,
      );

      killClientProcesses(e.home);
      const reply = await until(
        `${endpoint} to answer`,
        async () => {
          const r = await get(endpoint);
          return r?.status === 200 ? r : undefined;
        },
        { timeoutMs: 300_000, everyMs: 500 },
      );
      assert.match(reply.body, /^hello mounted from /);
      assert.deepEqual(clientProcesses(e.home), [], 'no client process serves it');

      const status = await e.cli(['serve', 'status', '--json']);
      assert.equal(status.code, 0, status.stderr);
      const web = (JSON.parse(status.stdout) as { name: string; endpoint: string }[]).find((s) => s.name === 'web');
      assert.equal(web?.endpoint, endpoint);
      const all = await e.cli(['status', '--json']);
      const names = (JSON.parse(all.stdout) as { name: string; owner: string | null }[]).map((c) => [c.name, c.owner]);
      assert.ok(
        names.some(([n, o]) => n === controllerClusterName('serve') && o === 'controller:serve'),
        all.stdout,
      );

      // Another machine with only the credentials (the pools file and its keys) finds the serve controller on the pool.
      const other = otherMachine();
      const seen = await other.cli(['serve', 'status', '--json']);
      assert.equal(seen.code, 0, seen.stderr);
      assert.equal((JSON.parse(seen.stdout) as { name: string; endpoint: string }[]).find((s) => s.name === 'web')?.endpoint, endpoint);

      const down = await e.cli(['serve', 'down', 'web', '-y']);
      assert.equal(down.code, 0, down.stderr);
    },
  );

  test('another machine with only the credentials finds the jobs controller: queue, logs, launch and cancel', { timeout: 900_000 }, async () => {
    const other = otherMachine();
    const queue = await other.cli(['jobs', 'queue', '--json']);
    assert.equal(queue.code, 0, queue.stderr);
    const rows = JSON.parse(queue.stdout) as { id: number; name: string; status: string }[];
    const done = rows.find((r) => r.name === 'ctljob');
    assert.equal(done?.status, 'SUCCEEDED', queue.stdout);
    const logs = await other.cli(['jobs', 'logs', String(done.id), '--no-follow']);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /step 6/);

    const job = other.write('long.yaml', 'name: longjob\nresources:\n  infra: ssh/work\nrun: echo started; sleep 3600\n');
    // Submitted from the second machine too: it uses the controller it found (and keeps it busy while the job runs).
    const launched = await other.cli(['jobs', 'launch', job, '-y', '-d']);
    assert.equal(launched.code, 0, launched.stderr);
    assert.doesNotMatch(launched.stderr, /Could not start the controller's hold job|Starting the managed jobs controller cluster/);
    const id = Number(/Managed job ID: (\d+)/.exec(launched.stdout)![1]);
    const node = controllerHost(path.join('state', 'managed_jobs.json'))!;
    const stateDir = path.join(nodeHome(node), 'state');
    const read = () => readJson<ManagedJobsState>(path.join(stateDir, 'managed_jobs.json'))?.jobs[id];
    await until(`job ${id} RUNNING`, () => read()?.status === 'RUNNING' || undefined, { timeoutMs: 300_000, everyMs: 250, watch: [stateDir] });
    const cancel = await other.cli(['jobs', 'cancel', String(id), '-y']);
    assert.equal(cancel.code, 0, cancel.stderr);
    await until(`job ${id} CANCELLED`, () => read()?.status === 'CANCELLED' || undefined, { timeoutMs: 300_000, everyMs: 250, watch: [stateDir] });

    // It used the controller as found and launched nothing of its own.
    const clusters = await other.cli(['status', '--json']);
    assert.deepEqual(JSON.parse(clusters.stdout), []);
  });
});
