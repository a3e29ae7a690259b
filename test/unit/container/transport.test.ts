// The container transport and the node's bring-up script, against a recording base transport:
// env values never enter argv, `~` resolves to the container's HOME, the registry password
// travels on stdin only, and the `docker run` has SkyPilot's options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ContainerTransport } from '../../../engine/node/container/transport';
import { ENTER_SCRIPT, parseEntry } from '../../../engine/node/container/enter';
import { containerName, dockerImageName, ensureContainerScript } from '../../../engine/node/container/dockerRun';
import type { ExecOptions, ExecResult, Transport } from '../../../engine/node/transport';

class Recording implements Transport {
  readonly description = 'node 0';
  calls: { argv: string[]; options: ExecOptions; stdin?: string }[] = [];
  async exec(argv: string[], options: ExecOptions = {}): Promise<ExecResult> {
    let stdin: string | undefined;
    if (options.stdin instanceof Readable) {
      const chunks: Buffer[] = [];
      for await (const c of options.stdin) chunks.push(Buffer.from(c));
      stdin = Buffer.concat(chunks).toString('latin1');
    } else if (options.stdin !== undefined) stdin = options.stdin.toString();
    this.calls.push({ argv, options, stdin });
    return { exitCode: 0, stdout: '', stderr: '' };
  }
  async putFile(): Promise<void> {}
  async putDir(): Promise<void> {}
  async close(): Promise<void> {}
  interactiveShell() {
    return { argv: ['ssh', '-t', '-p', '22', 'u@h'] };
  }
}

test('exec runs docker exec in the container: env by name only, cwd in its HOME, the docker client env beside', async () => {
  const base = new Recording();
  const t = new ContainerTransport(base, { name: 'skydeck-c-0', home: '/root', dockerEnv: { DOCKER_HOST: 'unix:///x.sock' } });
  await t.exec(['bash', '.skydeck_node/agent.sh', 'ping'], { env: { SECRET: 'hunter2' } });
  const call = base.calls[0];
  assert.deepEqual(call.argv, ['docker', 'exec', '-i', '-w', '/root', '-e', 'SECRET', 'skydeck-c-0', 'bash', '.skydeck_node/agent.sh', 'ping']);
  assert.ok(!call.argv.join(' ').includes('hunter2'));
  assert.deepEqual(call.options.env, { SECRET: 'hunter2', DOCKER_HOST: 'unix:///x.sock' });
  assert.equal(call.options.cwd, undefined);
  await t.exec(['ls'], { cwd: '~/sky_workdir' });
  assert.deepEqual(base.calls[1].argv.slice(3, 5), ['-w', '/root/sky_workdir']);
  await t.exec(['ls'], { cwd: '/data' });
  assert.deepEqual(base.calls[2].argv.slice(3, 5), ['-w', '/data']);
  await assert.rejects(t.exec(['ls'], { env: { 'BAD NAME': 'x' } }), /Invalid environment variable name/);
});

test('with an entry, exec enters by PID through the node-side script: env by name only, cwd in its HOME', async () => {
  const base = new Recording();
  const t = new ContainerTransport(base, { name: 'skydeck-c-0', home: '/root', entry: { pid: 4242, start: '987654' } });
  await t.exec(['bash', '.skydeck_node/agent.sh', 'ping'], { env: { SECRET: 'hunter2', OTHER: 'x' }, cwd: '~/sky_workdir' });
  const call = base.calls[0];
  assert.deepEqual(call.argv, [
    'bash',
    '-c',
    ENTER_SCRIPT,
    'skydeck-enter',
    '4242',
    '987654',
    '/root/sky_workdir',
    'SECRET OTHER',
    'skydeck-c-0',
    'bash',
    '.skydeck_node/agent.sh',
    'ping',
  ]);
  assert.ok(!call.argv.join(' ').includes('hunter2'));
  assert.deepEqual(call.options.env, { SECRET: 'hunter2', OTHER: 'x' });
  // A PID whose start time no longer matches goes through docker exec by name; nsenter gets the cwd inside the root.
  assert.match(ENTER_SCRIPT, /\[ "\$\{f\[21\]:-\}" != "\$start" \][^\n]*\n[^\n]*\n\s*exec docker exec -i -w "\$cwd"/);
  assert.match(ENTER_SCRIPT, /exec "\$ns" -t "\$pid" -m -u -i -n -p -r -W "\$cwd" -- "\$@"/);
  assert.deepEqual(parseEntry('4242 987654'), { pid: 4242, start: '987654' });
  assert.equal(parseEntry('docker'), undefined);
  assert.equal(parseEntry(undefined), undefined);
});

test('files go in through docker exec: putFile on stdin (mode kept), putDir as one tar stream', async () => {
  const base = new Recording();
  const t = new ContainerTransport(base, { name: 'c', home: '/home/me' });
  await t.putFile('~/a b/f.txt', 'content', 0o640);
  assert.equal(base.calls[0].stdin, 'content');
  assert.match(base.calls[0].argv.at(-1)!, /t='\/home\/me\/a b\/f\.txt'/);
  assert.match(base.calls[0].argv.at(-1)!, /chmod 640/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-ct-'));
  fs.writeFileSync(path.join(dir, 'x.txt'), 'x');
  fs.writeFileSync(path.join(dir, 'skip.txt'), 's');
  await t.putDir(dir, '~/sky_workdir', (rel) => rel !== 'skip.txt');
  assert.match(base.calls[1].argv.at(-1)!, /tar --no-same-owner -xf - -C \/home\/me\/sky_workdir/);
  assert.ok(base.calls[1].stdin?.includes('x.txt'));
  assert.ok(!base.calls[1].stdin?.includes('skip.txt'));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the interactive shell lands in the container through the node own ssh', () => {
  const t = new ContainerTransport(new Recording(), { name: 'c', home: '/root' });
  const sh = t.interactiveShell();
  assert.deepEqual(sh.argv.slice(0, 5), ['ssh', '-t', '-p', '22', 'u@h']);
  assert.equal(sh.argv[5], 'docker exec -it -w /root c bash -l');
});

test('bring-up script: SkyPilot run options, GPUs only where the node has them, password never in the script', () => {
  assert.equal(dockerImageName('docker:nvcr.io/nvidia/pytorch:24.05-py3'), 'nvcr.io/nvidia/pytorch:24.05-py3');
  assert.equal(dockerImageName('ami-123'), undefined);
  assert.equal(containerName('my_cluster-abc', 1), 'skydeck-my_cluster-abc-1');
  const script = ensureContainerScript(
    { image: 'reg.example.com/team/img:1', runOptions: ['--ulimit memlock=-1'] },
    'skydeck-c-0',
    { binds: ['/n/node-0'], env: { HOME: '/n/node-0' } },
    { username: 'me', server: 'reg.example.com' },
  );
  assert.match(
    script,
    /docker run -d --name skydeck-c-0 --init --network host --entrypoint sleep -v \/n\/node-0:\/n\/node-0 -e HOME=\/n\/node-0 "\$\{extra\[@\]\}" --ulimit memlock=-1 reg\.example\.com\/team\/img:1 infinity/,
  );
  assert.match(script, /--shm-size=/);
  assert.match(script, /nvidia-container-runtime.*extra\+=\(--gpus all\)/);
  assert.match(script, /docker login --username me --password-stdin reg\.example\.com/);
  assert.match(script, /IFS= read -r pw/);
  // Without credentials there is no login at all.
  assert.doesNotMatch(ensureContainerScript({ image: 'ubuntu', runOptions: [] }, 'c', {}, undefined), /docker login/);
  // A first bring-up without credentials asks docker for the run and the PID only.
  const fresh = ensureContainerScript({ image: 'ubuntu', runOptions: [] }, 'c', {}, undefined, true);
  assert.equal(fresh.match(/docker inspect/g)?.length, 1);
  assert.doesNotMatch(fresh, /docker image inspect --format 1 ubuntu >\/dev\/null 2>&1; then/);
  assert.match(fresh, /\*Conflict\*\) docker start c/);
  // The head of a cluster whose nodes share a daemon gets the node's docker client and socket.
  const head = ensureContainerScript({ image: 'ubuntu', runOptions: [] }, 'c', { dockerClient: true }, undefined);
  assert.match(head, /-v "\$\(command -v docker\):\/opt\/skydeck\/bin\/docker:ro" -v "\$sock:\/opt\/skydeck\/docker\.sock"/);
});
