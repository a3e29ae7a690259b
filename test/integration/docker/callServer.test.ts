/**
 * The call server inside a `docker:` task's container on `local` (engine/node/container/
 * callServerScript.ts, callClient.ts), against a real container: agent calls run through it
 * (no process started on the node per call) with streamed stdout/stderr, stdin, exit codes,
 * env and cwd, abort and timeout killing the call's processes, concurrent and large calls; a
 * killed server or a stopped container falls back to entering the container, `start` brings a
 * new server, and nothing is left after `down`.
 * A call through the server has a parent inside the container (the server's fork); an entered
 * call's parent is outside it (`nsenter`), so its PPID reads 0: that tells the two paths apart.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clusters, findCluster } from '../../../engine/cluster';
import { openAccess, type ClusterAccess } from '../../../engine/cluster/access';
import { nodeContainerName } from '../../../engine/cluster/containers';
import { CALL_SERVER_DIR } from '../../../engine/node/container/callServerScript';
import { isTransportError, type Transport } from '../../../engine/node/transport';
import { fastAgent, freshHome, makeTask } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { until } from '../../helpers/until';
import { buildTestImage, containersNamed, docker, dockerMissing, ensureDockerDaemon } from '../../helpers/docker';
import type { Task } from '../../../engine/task/types';

requirePrerequisite(dockerMissing());

function dockerTask(image: string, run: string): Task {
  const t = makeTask({ infra: { cloud: 'local' }, run });
  t.resources.base.imageId = `docker:${image}`;
  return t;
}

/** The node's directory, which is the container's HOME. */
function nodeHome(access: ClusterAccess): string {
  return (access.head as unknown as { target: { home: string } }).target.home;
}

/** Whether a server answers in `root`: its FIFO has a reader. */
function serving(root: string): boolean {
  try {
    fs.closeSync(fs.openSync(path.join(root, 'ctl'), fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
    return fs.existsSync(path.join(root, 'server'));
  } catch {
    return false;
  }
}

/** Waits for the server bring-up started in the background (watching its directory). */
async function serverUp(root: string): Promise<void> {
  await until(`the call server in ${root}`, () => serving(root), { watch: [path.dirname(root), root], timeoutMs: 60_000 });
}

/** The in-container parent of a call: 0 when it entered from the node, the server's fork otherwise. */
async function parentOf(t: Transport): Promise<number> {
  const r = await t.exec(['bash', '-c', 'read -r _ _ _ ppid _ < /proc/$$/stat; echo $ppid']);
  assert.equal(r.exitCode, 0, r.stderr);
  return Number(r.stdout.trim());
}

/** The container's processes whose command line contains `text`. */
function inContainer(name: string, text: string): boolean {
  return docker(['top', name, '-o', 'pid,args']).includes(text);
}

describe('the call server in a local container', { concurrency: false }, () => {
  let env: ReturnType<typeof freshHome>;
  let image: string;
  let access: ClusterAccess;
  let root: string;
  let name: string;
  before(async () => {
    env = freshHome();
    fastAgent(400);
    await ensureDockerDaemon();
    image = buildTestImage();
    const r = await clusters.launch(dockerTask(image, 'echo up'), { clusterName: 'cs1' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const rec = (await findCluster('cs1'))!;
    name = nodeContainerName(rec, 0);
    access = await openAccess(rec);
    root = path.join(nodeHome(access), CALL_SERVER_DIR);
    await serverUp(root);
  });
  after(async () => {
    await access?.close();
    await clusters.down('cs1').catch(() => undefined);
    env.cleanup();
  });

  test('calls run through the server, inside the container, with the env, cwd and exit code', async () => {
    assert.ok((await parentOf(access.head)) > 0, 'a call through the server has its parent inside the container');
    // Only root (the node's user and the container's) reaches the server's FIFOs and the requests.
    assert.equal(fs.statSync(root).mode & 0o777, 0o700);
    const r = await access.head.exec(['bash', '-c', 'echo "cwd=$PWD foo=$FOO path=$PATH marker=$(cat /image-marker)"; echo to-err >&2; exit 7'], {
      cwd: '/tmp',
      env: { FOO: 'a b\nc' },
    });
    assert.equal(r.exitCode, 7);
    assert.equal(r.stdout, 'cwd=/tmp foo=a b\nc path=/usr/local/bin:/usr/bin:/bin marker=base\n');
    assert.equal(r.stderr, 'to-err\n');
    const killed = await access.head.exec(['bash', '-c', 'kill -TERM $$']);
    assert.equal(killed.exitCode, 143);
    const missing = await access.head.exec(['no-such-command']);
    assert.equal(missing.exitCode, 127);
    // Default signal dispositions, as a process started on the node has.
    const sig = await access.head.exec(['bash', '-c', 'grep SigIgn /proc/self/status']);
    assert.match(sig.stdout, /SigIgn:\s+0+\n/);
    // The request (with the env's values) is not left behind.
    assert.deepEqual(fs.readdirSync(path.join(root, 'calls')), []);
  });

  test('stdout streams as the command writes it; stdin reaches the command', async () => {
    const go = path.join(nodeHome(access), 'go');
    const seen: string[] = [];
    const r = await access.head.exec(['bash', '-c', `echo first; while [ ! -e ${go} ]; do sleep 0.05; done; echo second`], {
      onStdout: (c) => {
        seen.push(c.toString());
        // The command waits for this file: the rest comes only because "first" arrived before the end.
        if (c.toString().includes('first')) fs.writeFileSync(go, '');
      },
    });
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, 'first\nsecond\n');
    assert.match(seen[0], /^first\n/);
    const big = Buffer.alloc(3 * 1024 * 1024, 'x');
    const piped = await access.head.exec(['bash', '-c', 'wc -c'], { stdin: big });
    assert.equal(piped.stdout.trim(), String(big.length));
    const script = await access.head.exec(['bash', '-s'], { stdin: 'echo from-stdin-script\n' });
    assert.equal(script.stdout, 'from-stdin-script\n');
  });

  test('large outputs and concurrent calls', async () => {
    let bytes = 0;
    const r = await access.head.exec(['head', '-c', '20000000', '/dev/zero'], { onStdout: (c) => (bytes += c.length) });
    assert.equal(r.exitCode, 0);
    assert.equal(bytes, 20_000_000);
    // More at once than the server keeps slots ready for: the rest enter the container, all answer right.
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => access.head.exec(['bash', '-c', `echo call-${i}; echo err-${i} >&2`])));
    results.forEach((x, i) => {
      assert.equal(x.stdout, `call-${i}\n`);
      assert.equal(x.stderr, `err-${i}\n`);
    });
  });

  test('abort and timeout kill the call and what it started', async () => {
    const ac = new AbortController();
    const running = access.head.exec(['bash', '-c', 'sleep 301 & echo started; wait'], {
      signal: ac.signal,
      onStdout: (c) => c.toString().includes('started') && ac.abort(),
    });
    await assert.rejects(running, (e: Error & { code?: string }) => e.code === 'CANCELLED');
    await until('the aborted call gone', () => !inContainer(name, 'sleep 301'));
    const timed = access.head.exec(['bash', '-c', 'exec sleep 302'], { timeoutMs: 300 });
    await assert.rejects(timed, (e: unknown) => isTransportError(e) && e.kind === 'timeout');
    await until('the timed-out call gone', () => !inContainer(name, 'sleep 302'));
  });

  test('agent calls (submit, tail) go through it', async () => {
    const job = await clusters.exec('cs1', makeTask({ run: 'echo via-agent' }));
    assert.equal(job.jobStatus, 'SUCCEEDED');
    let out = '';
    await clusters.tailLogs('cs1', job.jobId!, { follow: true, onData: (c) => (out += c) });
    assert.match(out, /via-agent/);
  });

  test('a call whose container stops under it fails as a lost connection; start brings a new server', async () => {
    let onStarted = (): void => undefined;
    const started = new Promise<void>((resolve) => (onStarted = resolve));
    const call = access.head.exec(['bash', '-c', 'echo started; exec sleep 303'], { onStdout: () => onStarted() });
    await started;
    docker(['kill', name]);
    await assert.rejects(call, (e: unknown) => isTransportError(e) && e.kind === 'closed');
    // No server: calls fall back to entering (here: docker exec, which fails on a stopped container) without hanging.
    assert.equal(serving(root), false);
    const r = await access.head.exec(['true']);
    assert.notEqual(r.exitCode, 0);
    await restartedWithServer();
  });

  /** stop + start (a bring-up), a fresh access, and calls going through the new server again. */
  async function restartedWithServer(): Promise<void> {
    await clusters.stop('cs1');
    await clusters.start('cs1');
    await access.close();
    access = await openAccess((await findCluster('cs1'))!);
    await serverUp(root);
    assert.ok((await parentOf(access.head)) > 0);
  }

  test('a killed server: calls enter the container instead, and start brings a new one', async () => {
    const [pid] = fs.readFileSync(path.join(root, 'server'), 'utf8').trim().split(' ');
    docker(['exec', name, 'bash', '-c', `kill -KILL ${pid}`]);
    await until('the server gone', () => !serving(root));
    assert.equal(await parentOf(access.head), 0);
    const r = await access.head.exec(['bash', '-c', 'cat; exit 3'], { stdin: 'still works' });
    assert.equal(r.exitCode, 3);
    assert.equal(r.stdout, 'still works');
    // The next bring-up (start) starts one again.
    await restartedWithServer();
  });

  test('nothing is left after down', async () => {
    assert.ok(serving(root));
    await access.close();
    await clusters.down('cs1');
    assert.deepEqual(containersNamed(name), []);
    assert.equal(fs.existsSync(root), false);
    const left = fs
      .readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(root);
        } catch {
          return false;
        }
      });
    assert.deepEqual(left, []);
  });
});
