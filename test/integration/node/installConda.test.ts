/**
 * provision.install_conda through the launch's node set-up, on the local infra: true runs
 * SkyPilot's Miniconda installer on the node (download, `-b -p ~/miniconda3`, `conda init`)
 * before the agent; false or unset runs nothing; a node with conda on its PATH downloads nothing.
 * There is no internet here: `curl` is a stub on PATH that records what it was asked for and
 * writes an installer that creates a stub `conda`, so the test checks the commands the node
 * runs, not a real download.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fastAgent, freshHome, makeTask } from '../cluster/helpers';
import { clusters } from '../../../engine/cluster';
import { setActiveConfig } from '../../../engine/config';

const SAVED_ENV = { ...process.env };

function stub(file: string, body: string): void {
  fs.writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
}

describe('provision.install_conda on the launch path (local infra)', { concurrency: false, timeout: 300_000 }, () => {
  let env: ReturnType<typeof freshHome>;
  let log: string;
  let bin: string;

  before(() => {
    env = freshHome();
    fastAgent(400);
    bin = path.join(env.home, 'stub-bin');
    fs.mkdirSync(bin);
    log = path.join(env.home, 'calls.log');
    process.env.CONDA_STUB_LOG = log;
    // curl -fsSL URL -o FILE: record, then write an installer that makes $PREFIX/bin/conda.
    stub(
      path.join(bin, 'curl'),
      [
        'echo "curl $*" >> "$CONDA_STUB_LOG"',
        'out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && { out=$2; shift; }; shift; done',
        `cat > "$out" <<'INSTALLER'`,
        'echo "installer $*" >> "$CONDA_STUB_LOG"',
        'while [ $# -gt 0 ]; do [ "$1" = -p ] && { prefix=$2; shift; }; shift; done',
        'mkdir -p "$prefix/bin"',
        `printf '#!/bin/bash\\necho "conda HOME=$HOME $*" >> "$CONDA_STUB_LOG"\\n' > "$prefix/bin/conda"`,
        'chmod +x "$prefix/bin/conda"',
        'INSTALLER',
      ].join('\n'),
    );
    process.env.PATH = `${bin}${path.delimiter}${process.env.PATH}`;
    assert.throws(() => execFileSync('bash', ['-c', 'command -v conda'], { stdio: 'pipe' }), 'this test needs a machine without conda on its PATH');
  });

  after(async () => {
    setActiveConfig(undefined);
    for (const name of ['conda-yes', 'conda-no', 'conda-unset', 'conda-have']) await clusters.down(name).catch(() => undefined);
    env?.cleanup();
    process.env = SAVED_ENV;
  });

  const calls = (): string[] => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : []);

  test('true: the node downloads the pinned Miniconda for its architecture, installs it into ~/miniconda3 and runs conda init, before the job', async () => {
    setActiveConfig({ provision: { install_conda: true } });
    const r = await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'echo job-ran' }), { clusterName: 'conda-yes' });
    assert.equal(r.jobStatus, 'SUCCEEDED');
    const arch = execFileSync('uname', ['-m'], { encoding: 'utf8' }).trim();
    const seen = calls();
    assert.match(seen[0], new RegExp(`^curl -fsSL https://repo\\.anaconda\\.com/miniconda/Miniconda3-py310_23\\.11\\.0-2-Linux-${arch}\\.sh -o \\S+$`));
    const install = /^installer -b -p (\S+)\/miniconda3$/.exec(seen[1]);
    assert.ok(install, seen.join('\n'));
    const nodeHome = install[1];
    assert.deepEqual(seen.slice(2), [`conda HOME=${nodeHome} init bash`, `conda HOME=${nodeHome} config --set auto_activate_base true`]);
    assert.ok(fs.existsSync(path.join(nodeHome, '.skydeck_node', 'agent.sh')), 'the agent was installed on the same node after conda');
  });

  test('false, and unset: nothing is downloaded or run', async () => {
    fs.rmSync(log, { force: true });
    setActiveConfig({ provision: { install_conda: false } });
    assert.equal((await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'conda-no' })).jobStatus, 'SUCCEEDED');
    setActiveConfig({});
    assert.equal((await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'conda-unset' })).jobStatus, 'SUCCEEDED');
    assert.deepEqual(calls(), []);
  });

  test('true on a node that has conda on its PATH: no download', async () => {
    fs.rmSync(log, { force: true });
    stub(path.join(bin, 'conda'), 'echo "conda $*" >> "$CONDA_STUB_LOG"');
    try {
      setActiveConfig({ provision: { install_conda: true } });
      assert.equal((await clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'conda-have' })).jobStatus, 'SUCCEEDED');
      assert.deepEqual(calls(), []);
    } finally {
      fs.rmSync(path.join(bin, 'conda'));
    }
  });

  test('a failing download fails the launch, naming the key and the node', async () => {
    fs.rmSync(log, { force: true });
    stub(path.join(bin, 'curl'), 'echo "curl: (6) Could not resolve host: repo.anaconda.com" >&2; exit 6');
    setActiveConfig({ provision: { install_conda: true } });
    await assert.rejects(clusters.launch(makeTask({ infra: { cloud: 'local' }, run: 'true' }), { clusterName: 'conda-fail' }), (err: Error) => {
      assert.match(err.message, /provision\.install_conda: installing conda on .* failed \(exit 91\)/);
      assert.match(err.message, /Could not resolve host/);
      return true;
    });
    await clusters.down('conda-fail').catch(() => undefined);
  });
});
