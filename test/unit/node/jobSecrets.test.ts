/**
 * On-node job files carry the task's envs and secrets: the spec and the rank scripts are
 * private to the node's user (0600 in 0700 directories) and are removed once the job ends
 * (succeeded, failed, cancelled while running or while pending); the job itself still runs
 * with the user's own umask.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AgentClient, type JobSpec } from '../../../engine/node/agentClient';
import { makeLocalCluster, waitFor, type LocalCluster } from '../../helpers/localNodes';

const SECRET = 'tok-8c1f-not-for-others';

function job(c: LocalCluster, run: string): JobSpec {
  return {
    name: 'secret-job',
    run,
    envs: { HF_TOKEN: SECRET },
    nodes: c.nodes.map((n, i) => (i === 0 ? { ip: n.ip, launcher: ['bash', '-c'] } : n.jobNode)),
    clusterName: 'c',
  };
}

/** Every file under the nodes' agent dirs whose content has the secret, with its mode. */
function filesWithSecret(c: LocalCluster): { file: string; mode: number }[] {
  const out: { file: string; mode: number }[] = [];
  // The running agent creates and removes files meanwhile (its lock): one gone between the
  // listing and the read (or a directory gone before its listing) held no secret when it went.
  const read = (p: string): string | undefined => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  };
  const walk = (dir: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && !e.name.endsWith('.log') && read(p)?.includes(SECRET))
        out.push({ file: path.relative(c.root, p), mode: fs.statSync(p).mode & 0o777 });
    }
  };
  for (const n of c.nodes) if (fs.existsSync(path.join(n.dir, '.skydeck_node'))) walk(path.join(n.dir, '.skydeck_node'));
  return out;
}

test('while a 2-node job runs its spec and rank scripts are 0600; when it ends they are gone and its own files keep the user umask', async (t) => {
  const c = makeLocalCluster(2);
  t.after(c.cleanup);
  await Promise.all(c.nodes.map((n) => new AgentClient(n.transport).install()));
  const gate = path.join(c.root, 'gate');
  const id = await c.agent.submit(
    job(c, `touch "$HOME/made-by-job-$SKYPILOT_NODE_RANK"; while [ ! -e ${gate} ]; do sleep 0.05; done; echo "len=\${#HF_TOKEN}"`),
  );
  await waitFor('both ranks started', () => c.nodes.every((n, r) => fs.existsSync(path.join(n.dir, `made-by-job-${r}`))) || undefined);
  const during = filesWithSecret(c);
  assert.ok(
    during.some((f) => f.file.endsWith(`jobs/${id}.spec`)),
    JSON.stringify(during),
  );
  assert.ok(
    during.some((f) => f.file.startsWith('node1/') && f.file.endsWith('run-1.sh')),
    `the worker's rank script: ${JSON.stringify(during)}`,
  );
  assert.deepEqual(
    during.filter((f) => f.mode !== 0o600),
    [],
    'every file with the secret is 0600',
  );
  assert.equal(fs.statSync(path.join(c.nodes[0].dir, '.skydeck_node', 'jobs', String(id))).mode & 0o777, 0o700);
  for (const [r, n] of c.nodes.entries()) {
    assert.equal(fs.statSync(path.join(n.dir, `made-by-job-${r}`)).mode & 0o777, 0o666 & ~process.umask(), 'the job has the user umask, not the agent 077');
  }
  fs.writeFileSync(gate, '');
  let log = '';
  assert.equal(await c.agent.tail(id, { follow: true, onData: (s) => (log += s) }), 'SUCCEEDED');
  assert.match(log, new RegExp(`len=${SECRET.length}`), 'the secret reached the job');
  assert.deepEqual(filesWithSecret(c), [], 'nothing with the secret is left');
  const [q] = await c.agent.queue();
  assert.equal(q.status, 'SUCCEEDED', 'queue still knows the job');
});

test('cancel removes the spec and rank scripts of a running 2-node job and the spec of a pending one; a failed job leaves none', async (t) => {
  const c = makeLocalCluster(2);
  t.after(c.cleanup);
  await Promise.all(c.nodes.map((n) => new AgentClient(n.transport).install()));
  // One job at a time (set before the daemon starts: it reads the config once).
  await c.agent.configure({ cpusPerNode: 0.5 });
  const failed = await c.agent.submit(job(c, 'exit 3'));
  assert.equal(await c.agent.tail(failed, { follow: true, onData: () => undefined }), 'FAILED');
  const running = await c.agent.submit(job(c, 'echo started; sleep 600'));
  const pending = await c.agent.submit(job(c, 'true'));
  assert.equal((await c.agent.status(pending))?.status, 'PENDING');
  // The running job's rank is under way (its script exists) before the cancel.
  const runLog = path.join(c.nodes[0].dir, '.skydeck_node', 'jobs', String(running), 'run.log');
  await waitFor('both ranks started', () => (fs.existsSync(runLog) && (fs.readFileSync(runLog, 'utf8').match(/started/g) ?? []).length === 2) || undefined);
  assert.ok(
    filesWithSecret(c).some((f) => f.file.startsWith('node1/') && f.file.endsWith('.sh')),
    'the worker rank script exists',
  );
  assert.equal(filesWithSecret(c).length >= 2, true, 'both specs exist before the cancel');
  await c.agent.cancel([running, pending]);
  assert.equal((await c.agent.status(running))?.status, 'CANCELLED');
  assert.deepEqual(filesWithSecret(c), []);
});
