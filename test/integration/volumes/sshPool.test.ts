/**
 * Volumes on an SSH node pool (real sshd in network namespaces): a k8s-pvc volume on
 * `ssh/<pool>` is a directory ~/.skydeck_volumes/<name>-<hash> on each host, linked at the
 * mount path before setup; it outlives `down` (which removes ~/.skydeck_node and
 * ~/sky_workdir), so the next cluster on the same hosts reads what the last one wrote;
 * `volumes delete` removes it from every host, as SkyPilot's delete removes the PVC's data.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { netnsSkipReason, startSshHosts, type SshTestHosts } from '../../helpers/sshd';
import { writeNodePoolsYaml } from '../../helpers/nodePools';
import { clusters } from '../../../engine/cluster';
import { closeAllSshConnections } from '../../../engine/node/ssh';
import { buildTask } from '../../../engine/task/build';
import { applyVolume, deleteVolume, listVolumes } from '../../../engine/volumes/manage';
import { parseVolumeYaml } from '../../../engine/volumes/spec';
import { fastAgent, freshHome } from '../cluster/helpers';
import { requirePrerequisite } from '../../helpers/prerequisites';

const skip = requirePrerequisite(netnsSkipReason());

describe('volumes on an SSH node pool', { skip, concurrency: false }, () => {
  let hosts: SshTestHosts;
  let env: ReturnType<typeof freshHome>;

  before(async () => {
    env = freshHome();
    fastAgent(400);
    hosts = await startSshHosts({ loopback: false, netnsHosts: 2 });
    writeNodePoolsYaml(path.join(env.home, 'ssh_node_pools.yaml'), { pool: hosts.hosts });
  });

  after(async () => {
    for (const name of ['vs1', 'vs2']) await clusters.down(name).catch(() => undefined);
    closeAllSshConnections();
    await hosts?.stop();
    env?.cleanup();
  });

  test('written by one cluster, read by the next after down; delete removes the data from the hosts', async () => {
    const rec = await applyVolume(parseVolumeYaml('name: shared\ntype: k8s-pvc\ninfra: ssh/pool\nsize: 5Gi\n'));
    assert.equal(rec.infra, 'ssh/pool');
    let out = '';
    const w = await clusters.launch(
      buildTask({ num_nodes: 2, volumes: { '~/ckpt': 'shared' }, run: 'echo "step=7 by $SKYPILOT_NODE_RANK" > ~/ckpt/state.txt; readlink ~/ckpt' }),
      { clusterName: 'vs1', onOutput: (c) => (out += c) },
    );
    assert.equal(w.jobStatus, 'SUCCEEDED', out);
    assert.equal(w.cluster.resources.cloud, 'ssh');
    for (const h of hosts.hosts)
      assert.match(fs.readFileSync(path.join(h.homeDir, '.skydeck_volumes', rec.nameOnInfra, 'state.txt'), 'utf8'), /^step=7 by [01]\n$/);
    assert.deepEqual((await listVolumes())[0].usedBy, ['vs1']);
    await clusters.down('vs1');

    out = '';
    const r = await clusters.launch(buildTask({ num_nodes: 2, volumes: { '~/ckpt': 'shared' }, run: 'cat ~/ckpt/state.txt' }), {
      clusterName: 'vs2',
      onOutput: (c) => (out += c),
    });
    assert.equal(r.jobStatus, 'SUCCEEDED', out);
    assert.equal((out.match(/step=7 by [01]/g) ?? []).length, 2, out);
    await clusters.down('vs2');
    const said: string[] = [];
    await deleteVolume('shared', (m) => said.push(m));
    assert.deepEqual(await listVolumes(), []);
    for (const h of hosts.hosts)
      assert.equal(
        fs.existsSync(path.join(h.homeDir, '.skydeck_volumes', rec.nameOnInfra)),
        false,
        `deleted with its data on ${h.homeDir}: ${said.join('\n')}`,
      );
    assert.deepEqual(
      said.filter((m) => m.startsWith('Warning')),
      [],
    );
  });
});
