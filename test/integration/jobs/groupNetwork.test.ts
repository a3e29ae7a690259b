/**
 * Job groups on `local` through the built CLI: the tasks find each other by what SkyDeck
 * publishes on their nodes (SKYPILOT_JOBGROUP_HOST_<TASK>, ~/.skydeck_node/jobgroup.hosts),
 * and a task that ended keeps its cluster until the group ends. Each local node has its own
 * loopback address, so task B reaching task A's TCP server at A's published address is a
 * real connection to A's node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { taskLogPath } from '../../../engine/jobs/paths';
import { needsController } from '../../../engine/jobs/types';
import { CLI, jobsEnv, type JobsEnv } from './helpers';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));

async function launch(e: JobsEnv, file: string): Promise<{ id: number; stderr: string }> {
  const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
  assert.equal(r.code, 0, r.stderr);
  const m = /Managed job ID: (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return { id: Number(m[1]), stderr: r.stderr };
}

const doc = (name: string, run: string, infra = '  infra: local\n') => `name: ${name}\nresources:\n${infra}run: |\n${run.replace(/^/gm, '  ')}\n`;
const groupFile = (header: string, ...docs: string[]) => `---\n${[header, ...docs].join('\n---\n')}`;

/** A one-connection TCP server in Python: answers "pong from <its address>" (the node's address it bound). */
const server = (port: number) =>
  [
    `python3 - <<'PY'`,
    'import os, socket',
    `s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((os.environ["SKYPILOT_JOBGROUP_HOST_SERVER"], ${port})); s.listen(1)`,
    'print("listening on", s.getsockname()[0], flush=True)',
    'c, _ = s.accept(); c.sendall(("pong from " + s.getsockname()[0] + "\\n").encode()); c.close()',
    'PY',
  ].join('\n');

/** The client: connects to the server task's published address, retrying until it listens. */
const client = (port: number) =>
  [
    `python3 - <<'PY'`,
    'import os, socket, time',
    'addr = os.environ["SKYPILOT_JOBGROUP_HOST_SERVER"]',
    'hosts = open(os.path.expanduser("~/.skydeck_node/jobgroup.hosts")).read()',
    'print("hosts file names server-0:", any(l.split()[1:] == ["server-0." + os.environ["SKYPILOT_JOBGROUP_NAME"]] and l.split()[0] == addr for l in hosts.splitlines()), flush=True)',
    'while True:',
    '    try:',
    `        c = socket.create_connection((addr, ${port}), timeout=5); break`,
    '    except OSError:',
    '        time.sleep(0.2)',
    'print("client got:", c.recv(100).decode().strip(), flush=True)',
    'PY',
  ].join('\n');

test(
  "task B reaches task A's TCP server at A's published address; A's cluster is kept after it ends, until the group ends",
  { skip, timeout: 600_000 },
  async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const port = 20_000 + (process.pid % 20_000);
    const release = path.join(e.home, 'release');
    const file = e.write(
      'net.yaml',
      groupFile(
        'name: netgrp\nexecution: parallel',
        doc('server', server(port)),
        // The client waits after its exchange so the server's task ends first and its cluster must stay up.
        doc('client', `${client(port)}\nwhile [ ! -e ${release} ]; do sleep 0.1; done\necho "client released"`),
      ),
    );
    const { id, stderr } = await launch(e, file);
    // Pinned to local: told at launch, naming the field and the infra.
    assert.match(stderr, /Warning: execution: .*hostnames \(<task>-<rank>\.netgrp\).*not written on local/);
    const mid = await e.waitJob(id, 'the server ended and the client still runs', (x) => x.tasks[0].status === 'SUCCEEDED' && x.tasks[1].status === 'RUNNING');
    assert.equal(mid.status, 'RUNNING');
    assert.equal(mid.tasks[0].clusterKept, true);
    assert.deepEqual((await e.clusterNames()).sort(), [`client-${id}`, `server-${id}`], "the server's cluster is kept while the client runs");
    fs.writeFileSync(release, '');
    const job = await e.waitJob(id, 'ended, clusters torn down', (x) => !needsController(x));
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    const serverLog = fs.readFileSync(taskLogPath(id, 0), 'utf8');
    const addr = /^listening on (127\.\d+\.\d+\.\d+)$/m.exec(serverLog)?.[1];
    assert.ok(addr && addr !== '127.0.0.1', serverLog);
    assert.equal(fs.readFileSync(taskLogPath(id, 1), 'utf8'), `hosts file names server-0: True\nclient got: pong from ${addr}\nclient released\n`);
    assert.deepEqual(await e.clusterNames(), [], 'every cluster torn down when the group ended');
  },
);

test(
  'a task not pinned to local is told in its own run that the hostnames are not in /etc/hosts, naming the field and the infra',
  { skip, timeout: 600_000 },
  async (t) => {
    const e = jobsEnv();
    t.after(() => e.cleanup());
    const file = e.write(
      'free.yaml',
      groupFile(
        'name: freegrp\nexecution: parallel',
        doc('one', 'echo "two is at $SKYPILOT_JOBGROUP_HOST_TWO"', '  cpus: 1+\n'),
        doc('two', 'echo "one is at $SKYPILOT_JOBGROUP_HOST_ONE"'),
      ),
    );
    const { id, stderr } = await launch(e, file);
    // Only the task pinned to local is named at launch: the other may land anywhere.
    assert.match(stderr, /Warning: execution: .*not written on local \(task two\)/);
    const job = await e.waitJob(id, 'ended', (x) => !needsController(x));
    assert.equal(job.status, 'SUCCEEDED', job.failureReason);
    const one = fs.readFileSync(taskLogPath(id, 0), 'utf8');
    assert.match(
      one,
      /^\[SkyDeck\] Warning: execution: parallel: the job group's hostnames \(<task>-<rank>\.freegrp\) are not in \/etc\/hosts on this node \(infra local\): its nodes share the machine's \/etc\/hosts/m,
    );
    assert.match(one, /^two is at 127\.\d+\.\d+\.\d+$/m);
    // The task pinned to local was warned at launch: its run says nothing more.
    assert.match(fs.readFileSync(taskLogPath(id, 1), 'utf8'), /^one is at 127\.\d+\.\d+\.\d+\n$/);
  },
);
