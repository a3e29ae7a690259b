/**
 * A controller holds at most SKYDECK_JOBS_LOG_STREAMS live log streams (engine/jobs/logStreams.ts),
 * on `local` through the built CLI: three jobs, one stream. The streams are the controller's
 * `agent.sh tail ID OFFSET 1` children (a read at an inspection is `... 0`), counted from /proc.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive } from '../../../engine/util/detached';
import { CLI, jobsEnv } from './helpers';
import { until } from '../../helpers/until';
import { builtFiles, requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(builtFiles(CLI, path.join(path.dirname(CLI), 'jobs-controller.js')));

/** The controller's live log streams: its follower children, each with its node's directory. */
function followers(controllerPid: number): { pid: number; nodeDir: string }[] {
  let children: number[];
  try {
    children = fs.readFileSync(`/proc/${controllerPid}/task/${controllerPid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  const out: { pid: number; nodeDir: string }[] = [];
  for (const pid of children) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const t = argv.indexOf('tail');
      if (t >= 0 && argv[1]?.endsWith('agent.sh') && argv[t + 3] === '1') out.push({ pid, nodeDir: fs.readlinkSync(`/proc/${pid}/cwd`) });
    } catch {
      /* exited meanwhile (zombies have no cmdline) */
    }
  }
  return out;
}

const NAMES = ['ja', 'jb', 'jc'];
const before = (name: string) => Array.from({ length: 20 }, (_, i) => `${name} line ${i + 1} é✓`);
const after = (name: string) => [`${name} after go`, ...Array.from({ length: 10 }, (_, i) => `${name} line ${i + 21}`)];
const expected = (name: string) => [...before(name), ...after(name)].join('\n') + '\n';

test(
  'one log stream for three jobs on local: all output exactly once, one follower at most, `jobs logs` of an unstreamed job is live',
  { skip, timeout: 300_000 },
  async (t) => {
    const e = jobsEnv({ SKYDECK_JOBS_LOG_STREAMS: '1', SKYDECK_JOBS_INSPECT_MS: '1000' });
    t.after(() => e.cleanup());
    const gate = (name: string) => path.join(e.home, `go-${name}`);
    const ids: number[] = [];
    for (const name of NAMES) {
      const file = e.write(
        `${name}.yaml`,
        `name: ${name}\nresources:\n  infra: local\nrun: |\n` +
          `  for i in $(seq 1 20); do echo "${name} line $i é✓"; sleep 0.05; done\n` +
          `  while [ ! -e ${gate(name)} ]; do sleep 0.1; done\n` +
          `  echo "${name} after go"\n` +
          `  for i in $(seq 21 30); do echo "${name} line $i"; done\n`,
      );
      const r = await e.cli(['jobs', 'launch', file, '-y', '-d']);
      assert.equal(r.code, 0, r.stderr);
      ids.push(Number(/Managed job ID: (\d+)/.exec(r.stdout)![1]));
    }
    const log = (id: number) => (fs.existsSync(e.runLog(id)) ? fs.readFileSync(e.runLog(id), 'utf8') : '');
    // Every job's first lines reach its run.log, streamed or read at its inspections.
    for (const [k, id] of ids.entries())
      await e.waitJob(id, 'RUNNING with its first lines', (j) => j.status === 'RUNNING' && log(id) === before(NAMES[k]).join('\n') + '\n');
    const controllers = new Set(await Promise.all(ids.map(async (id) => (await e.job(id)).controller!.pid)));
    assert.equal(controllers.size, 1, 'one controller runs the three jobs');
    const [pid] = controllers;
    const clusters = await Promise.all(ids.map(async (id) => (await e.job(id)).tasks[0].cluster));
    const streamedClusters = () => followers(pid).map((f) => clusters.find((c) => path.basename(path.dirname(f.nodeDir)).startsWith(`${c}-`)));

    // Followers counted for the rest of the test: never more than the one stream.
    let most = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling && isAlive((await e.job(ids[0])).controller)) {
        most = Math.max(most, followers(pid).length);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    t.after(async () => {
      sampling = false;
      await sampler;
    });

    // A job without the stream, followed by `jobs logs`: the controller gives it the stream.
    const streamed = await until(
      'the one stream open',
      () => {
        const s = streamedClusters();
        return s.length === 1 && s[0] ? s[0] : undefined;
      },
      { everyMs: 50 },
    );
    const k = clusters.findIndex((c) => c !== streamed);
    const id = ids[k];
    const logs = spawn(process.execPath, [CLI, 'jobs', 'logs', String(id)], { env: e.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let shown = '';
    logs.stdout.on('data', (c: Buffer) => (shown += c.toString('utf8')));
    const exited = new Promise<number | null>((r) => logs.on('close', r));
    t.after(() => logs.kill());
    await until(`job ${id} streamed while followed`, () => (streamedClusters()[0] === clusters[k] ? true : undefined), { everyMs: 50, timeoutMs: 60_000 });
    await until('`jobs logs` showing the lines so far', () => (shown === before(NAMES[k]).join('\n') + '\n' ? true : undefined), { everyMs: 50 });
    fs.writeFileSync(gate(NAMES[k]), '');
    assert.equal(await exited, 0);
    assert.equal(shown, expected(NAMES[k]), '`jobs logs` showed the whole output once');

    for (const name of NAMES) fs.writeFileSync(gate(name), '');
    for (const [n, jid] of ids.entries()) {
      const j = await e.waitJob(jid, 'SUCCEEDED', (x) => x.status === 'SUCCEEDED', 120_000);
      assert.equal(j.tasks[0].recoveries, 0);
      assert.equal(log(jid), expected(NAMES[n]), `job ${jid}'s run.log holds its output exactly once`);
    }
    sampling = false;
    await sampler;
    assert.ok(most >= 1, 'the stream was seen');
    assert.equal(most, 1, 'never more than one follower');
  },
);
