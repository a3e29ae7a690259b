/** Launch-time setup over transports, the job spec renderer, remote command building, queue parsing. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseJobs, renderJobSpec, runSetup, SetupFailedError, sshLauncher } from '../../../engine/node/agentClient';
import { buildRemoteCommand } from '../../../engine/node/ssh';
import { shellQuoteRemotePath } from '../../../engine/node/quote';
import { makeLocalCluster } from '../../helpers/localNodes';

test('runSetup runs on every node in parallel with SKYPILOT_SETUP_* vars; failure names the rank and last lines', async (t) => {
  const c = makeLocalCluster(2);
  t.after(c.cleanup);
  const nodes = c.nodes.map((n) => ({ transport: n.transport, ip: n.ip }));
  const seen: Record<number, string> = {};
  const ok = await runSetup(nodes, {
    script:
      'echo "rank=$SKYPILOT_SETUP_NODE_RANK ips=$(echo $SKYPILOT_SETUP_NODE_IPS) n=$SKYPILOT_NUM_NODES gpus=$SKYPILOT_SETUP_NUM_GPUS_PER_NODE x=$X home=$HOME pwd=$PWD cuda=${CUDA_VISIBLE_DEVICES-unset}"',
    envs: { X: 'a b' },
    numGpusPerNode: 1,
    onOutput: (rank, s) => (seen[rank] = (seen[rank] ?? '') + s),
  });
  assert.deepEqual(
    ok.map((r) => r.exitCode),
    [0, 0],
  );
  for (const r of [0, 1]) {
    const home = c.nodes[r].dir;
    assert.equal(seen[r], `rank=${r} ips=127.0.0.2 127.0.0.3 n=2 gpus=1 x=a b home=${home} pwd=${home} cuda=unset\n`);
  }
  await assert.rejects(
    runSetup(nodes, { script: 'for i in $(seq 1 20); do echo "l$i"; done; [ "$SKYPILOT_SETUP_NODE_RANK" = 1 ] && exit 4; true' }),
    (err: unknown) => {
      assert.ok(err instanceof SetupFailedError);
      assert.match(err.message, /Failed to setup with return code 4 on node rank 1/);
      assert.match(err.message, /l11\n[\s\S]*l20$/);
      assert.deepEqual(
        err.results[1].lastLines,
        Array.from({ length: 10 }, (_, i) => `l${i + 11}`),
      );
      return true;
    },
  );
});

test('renderJobSpec: bash-sourceable, values survive quoting', () => {
  const spec = renderJobSpec({
    name: "my\tjob's",
    user: 'u',
    run: 'echo \'hi\' "$X"\n`date`',
    envs: { A: "it's $HOME", B: 'line1\nline2' },
    nodes: [
      { ip: '10.0.0.1', launcher: ['bash', '-c'] },
      { ip: '10.0.0.2', launcher: sshLauncher({ host: '10.0.0.2', user: 'ubuntu', keyPath: '~/.skydeck_node/keys/id' }) },
    ],
    cpusPerNode: 2,
    numGpusPerNode: 0.5,
  });
  const out = execFileSync('bash', [
    '-c',
    `${spec}\nprintf '%s\\0' "$JOB_NAME" "$JOB_RUN" "\${JOB_ENV[@]}" "\${JOB_NODE_IPS[@]}" "$JOB_CPUS_MILLI" "$JOB_GPUS" "\${JOB_LAUNCHER_1[@]: -1}"`,
  ]).toString();
  assert.deepEqual(out.split('\0').slice(0, -1), [
    "my job's",
    'echo \'hi\' "$X"\n`date`',
    "A=it's $HOME",
    'B=line1\nline2',
    '10.0.0.1',
    '10.0.0.2',
    '2000',
    '1',
    'ubuntu@10.0.0.2',
  ]);
  assert.throws(() => renderJobSpec({ run: 'x', nodes: [], envs: {} }), /at least one node/);
  assert.throws(() => renderJobSpec({ run: 'x', nodes: [{ ip: 'a', launcher: [] }], envs: { 'BAD-NAME': '1' } }), /Invalid environment variable/);
});

test('buildRemoteCommand and shellQuoteRemotePath keep ~ meaningful and quote everything else', () => {
  assert.equal(shellQuoteRemotePath('~'), '"$HOME"');
  assert.equal(shellQuoteRemotePath('~/a b'), `"$HOME"/'a b'`);
  assert.equal(shellQuoteRemotePath('/abs/x'), '/abs/x');
  const cmd = buildRemoteCommand(['printf', '%s|', '$X'], { env: { X: "v'1" }, cwd: '~/w d' });
  assert.equal(cmd, `export X='v'\\''1'; cd "$HOME"/'w d' && printf '%s|' '$X'`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-quote-'));
  try {
    fs.mkdirSync(path.join(home, 'w d'));
    assert.equal(execFileSync('bash', ['-c', cmd], { env: { ...process.env, HOME: home } }).toString(), '$X|');
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
  assert.throws(() => buildRemoteCommand(['true'], { env: { 'A B': '1' } }), /Invalid environment variable/);
});

test('parseJobs reads the agent queue lines (unset fields as undefined)', () => {
  const jobs = parseJobs(
    '1\tRUNNING\t1000\t1100\t-\t-\talice\ttrain\t1x[CPU:0.5]\t/h/.skydeck_node/jobs/1\n2\tPENDING\t1200\t-\t-\t-\tbob\t-\t-\t/h/.skydeck_node/jobs/2\ngarbage\n',
  );
  assert.deepEqual(jobs, [
    {
      id: 1,
      status: 'RUNNING',
      submittedAt: 1000,
      startedAt: 1100,
      endedAt: undefined,
      exitCode: undefined,
      user: 'alice',
      name: 'train',
      resources: '1x[CPU:0.5]',
      logDir: '/h/.skydeck_node/jobs/1',
    },
    {
      id: 2,
      status: 'PENDING',
      submittedAt: 1200,
      startedAt: undefined,
      endedAt: undefined,
      exitCode: undefined,
      user: 'bob',
      name: undefined,
      resources: '',
      logDir: '/h/.skydeck_node/jobs/2',
    },
  ]);
});
