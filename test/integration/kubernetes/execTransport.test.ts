/** The exec-API transport against the fake: argv, streaming, exit codes, env/cwd, stdin, putFile, putDir. */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { FakeKubernetes } from '../../helpers/fakes/kubernetes';
import { KubernetesProvider } from '../../../engine/infra/kubernetes/kubernetesProvider';
import type { ClusterHandle } from '../../../engine/infra/provider';
import type { Transport } from '../../../engine/node/transport';
import { bridgeToPodSshd } from '../../../engine/infra/kubernetes/sshProxy';

describe('kubernetes exec transport', () => {
  let fake: FakeKubernetes;
  let dir: string;
  let provider: KubernetesProvider;
  let handle: ClusterHandle;
  let t: Transport;
  let podDir: string;
  const saved = { KUBECONFIG: process.env.KUBECONFIG, SKYDECK_HOME: process.env.SKYDECK_HOME };

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-k8s-exec-'));
    process.env.SKYDECK_HOME = path.join(dir, 'home');
    fake = await FakeKubernetes.start();
    process.env.KUBECONFIG = fake.writeKubeconfig(path.join(dir, 'kubeconfig'));
    provider = new KubernetesProvider();
    handle = await provider.launch({
      clusterName: 'ex',
      nameOnCloud: 'ex-1234',
      region: 'fake',
      zones: [],
      instanceType: '1CPU--1GB',
      useSpot: false,
      numNodes: 1,
      diskSizeGb: 10,
      ports: [],
      labels: {},
      sshPublicKey: 'k',
    });
    const [node] = await provider.query(handle);
    t = provider.transport(handle, node);
    podDir = fake.podDir('default', node.id);
  });
  after(async () => {
    await t?.close();
    await provider?.terminate(handle).catch(() => undefined);
    await fake.close();
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('runs argv as given (no shell), with stdout, stderr and the exit code from the status channel', async () => {
    const r = await t.exec(['sh', '-c', 'echo "out $1"; echo err >&2; exit 3', 'sh', 'a b; $(x)']);
    assert.deepEqual(r, { exitCode: 3, stdout: 'out a b; $(x)\n', stderr: 'err\n' });
    assert.equal(fake.execs.at(-1)?.protocol, 'v5.channel.k8s.io');
    assert.equal(fake.execs.at(-1)?.container, 'skydeck');
    const ok = await t.exec(['pwd']);
    assert.equal(ok.exitCode, 0);
    assert.equal(fs.realpathSync(ok.stdout.trim()), fs.realpathSync(podDir));
  });

  test('streams output as it comes', async () => {
    const chunks: string[] = [];
    const r = await t.exec(['sh', '-c', 'for i in 1 2 3; do echo line$i; done'], { onStdout: (c) => chunks.push(c.toString()) });
    assert.equal(chunks.join(''), 'line1\nline2\nline3\n');
    assert.equal(r.stdout, 'line1\nline2\nline3\n');
  });

  test('env and cwd are applied; a missing command exits 127 with the runtime message', async () => {
    fs.mkdirSync(path.join(podDir, 'sub dir'), { recursive: true });
    const r = await t.exec(['sh', '-c', 'echo "$GREETING" && basename "$PWD"'], { env: { GREETING: "it's here" }, cwd: '~/sub dir' });
    assert.equal(r.stdout, "it's here\nsub dir\n");
    const missing = await t.exec(['definitely-not-a-command-xyz']);
    assert.equal(missing.exitCode, 127);
    assert.match(missing.stderr, /executable file not found/);
    await assert.rejects(t.exec(['true'], { env: { 'BAD-NAME': '1' } }), /Invalid environment variable name/);
  });

  test('stdin reaches the command and is closed after it (v5 close frame), output keeps flowing', async () => {
    const r = await t.exec(['sh', '-c', 'wc -c; echo after'], { stdin: Buffer.alloc(300_000, 7) });
    assert.equal(
      r.stdout
        .trim()
        .split('\n')
        .map((s) => s.trim())
        .join(' '),
      '300000 after',
    );
    const stream = new PassThrough();
    const p = t.exec(['cat'], { stdin: stream });
    stream.write('a');
    stream.end('b');
    assert.equal((await p).stdout, 'ab');
  });

  test('putFile writes (creating parents) with a mode; putDir copies a tree honouring the filter', async () => {
    await t.putFile('~/a/b/c.txt', 'hello\n', 0o640);
    assert.equal(fs.readFileSync(path.join(podDir, 'a/b/c.txt'), 'utf8'), 'hello\n');
    assert.equal(fs.statSync(path.join(podDir, 'a/b/c.txt')).mode & 0o777, 0o640);
    const src = path.join(dir, 'src');
    fs.mkdirSync(path.join(src, 'keep/deep'), { recursive: true });
    fs.mkdirSync(path.join(src, 'skip'), { recursive: true });
    fs.writeFileSync(path.join(src, 'keep/deep/x.py'), 'print(1)\n');
    fs.writeFileSync(path.join(src, 'top.txt'), 'top');
    fs.writeFileSync(path.join(src, 'skip/no.txt'), 'no');
    await t.putDir(src, '~/sky_workdir', (rel) => !rel.startsWith('skip'));
    assert.equal(fs.readFileSync(path.join(podDir, 'sky_workdir/keep/deep/x.py'), 'utf8'), 'print(1)\n');
    assert.equal(fs.readFileSync(path.join(podDir, 'sky_workdir/top.txt'), 'utf8'), 'top');
    assert.equal(fs.existsSync(path.join(podDir, 'sky_workdir/skip')), false);
  });

  test('timeout and cancellation end the call; a pod that is gone is a transport error', async () => {
    await assert.rejects(
      t.exec(['sleep', '30'], { timeoutMs: 200 }),
      (e: Error) => e.name === 'TransportError' && /did not finish within 200 ms/.test(e.message),
    );
    const ac = new AbortController();
    const p = t.exec(['sleep', '30'], { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, (e: Error) => e.name === 'CancelledError');
    const ghost = provider.transport(handle, { id: 'no-such-pod', rank: 0, state: 'running', internalIp: '' });
    await assert.rejects(
      ghost.exec(['true']),
      (e: Error & { kind?: string }) => e.name === 'TransportError' && e.kind === 'unreachable' && /404.*not found/.test(e.message),
    );
  });

  test('the SSH proxy relay bridges stdio to a TCP service inside the pod', async (tc) => {
    // A stand-in for the pod's sshd: sends a banner, echoes one line, closes.
    const server = net.createServer((sock) => {
      sock.write('SSH-2.0-fake\r\n');
      sock.once('data', (d) => sock.end(`echo:${d.toString()}`));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    tc.after(() => new Promise<void>((r) => server.close(() => r())));
    const port = (server.address() as net.AddressInfo).port;
    const input = new PassThrough();
    const out = new PassThrough();
    let outText = '';
    out.on('data', (c: Buffer) => {
      outText += c.toString();
      if (outText.includes('SSH-2.0-fake') && !input.writableEnded) input.end('ping\n');
    });
    const code = await bridgeToPodSshd(t, input, out, new PassThrough(), port);
    assert.equal(code, 0);
    assert.equal(outText, 'SSH-2.0-fake\r\necho:ping\n');
  });
});
