/**
 * `skydeck volumes apply|ls|delete`: the volume is created on its infra (a PVC through the
 * Kubernetes provider; a directory for `local`, made now; on SSH pools each host's directory
 * is made when a cluster first mounts it), then recorded. A volume a live cluster mounted is
 * IN_USE and cannot be deleted.
 */
import * as fs from 'node:fs';
import { InputError, NotFoundError, SkyDeckError } from '../errors';
import { getProvider } from '../infra/registry';
import { holdsVolumeDirs, managesVolumes } from '../infra/provider';
import { findCluster } from '../cluster/records';
import { currentUser } from '../cluster/naming';
import { checkVolumeInfra, localVolumeDir, sshVolumeDir, volumeNameOnInfra } from './infra';
import { volumeTable } from './store';
import type { VolumeRecord, VolumeSpec } from './types';

function infraText(cloud: string, region?: string): string {
  return region ? `${cloud}/${region}` : cloud;
}

/** Creates the volume on its infra and records it. */
export async function applyVolume(spec: VolumeSpec, onMessage: (m: string) => void = () => undefined): Promise<VolumeRecord> {
  checkVolumeInfra(spec);
  const existing = (await volumeTable().read()).volumes[spec.name];
  if (existing)
    throw new InputError(`name: volume '${spec.name}' already exists (${existing.infra}).`, {
      hint: `Delete it first (skydeck volumes delete ${spec.name}) or pick another name.`,
    });
  const nameOnInfra = spec.useExisting ? spec.name : volumeNameOnInfra(spec.name, currentUser());
  const rec: VolumeRecord = {
    name: spec.name,
    type: spec.type,
    infra: infraText(spec.infra.cloud, spec.infra.region),
    cloud: spec.infra.cloud,
    region: spec.infra.region,
    sizeGi: spec.sizeGi,
    nameOnInfra,
    useExisting: spec.useExisting,
    ...(Object.keys(spec.labels).length ? { labels: spec.labels } : {}),
    usedBy: [],
    createdAt: new Date().toISOString(),
    status: 'READY',
  };
  if (spec.infra.cloud === 'kubernetes') {
    const provider = await getProvider('kubernetes');
    if (!managesVolumes(provider)) throw new SkyDeckError('VOLUME_INFRA', 'The Kubernetes provider cannot create volumes.');
    onMessage(`${spec.useExisting ? 'Using existing' : 'Creating'} PVC: ${nameOnInfra}`);
    const made = await provider.createVolume({
      region: spec.infra.region,
      nameOnInfra,
      sizeGi: spec.sizeGi,
      namespace: spec.config.namespace,
      storageClassName: spec.config.storageClassName,
      accessMode: spec.config.accessMode,
      useExisting: spec.useExisting,
      labels: { ...spec.labels, 'skydeck-volume-name': spec.name },
    });
    Object.assign(rec, {
      region: made.region,
      infra: infraText('kubernetes', made.region),
      namespace: made.namespace,
      sizeGi: made.sizeGi,
      storageClassName: spec.config.storageClassName,
      accessMode: spec.config.accessMode ?? 'ReadWriteOnce',
    });
  } else if (spec.infra.cloud === 'local') {
    onMessage(`Creating directory ${localVolumeDir(nameOnInfra)}`);
    fs.mkdirSync(localVolumeDir(nameOnInfra), { recursive: true, mode: 0o700 });
  } else if (spec.infra.cloud === 'ssh' && !spec.infra.region) {
    throw new InputError('infra: an SSH volume needs its pool (infra: ssh/<pool>).');
  }
  await volumeTable().update((t) => {
    if (t.volumes[spec.name]) throw new InputError(`name: volume '${spec.name}' already exists.`);
    t.volumes[spec.name] = rec;
  });
  return rec;
}

/** Clusters still recorded among `usedBy` (a launch that failed or a cluster since torn down no longer counts). */
async function liveUsers(rec: VolumeRecord): Promise<string[]> {
  const out: string[] = [];
  for (const c of rec.usedBy) if (await findCluster(c).catch(() => undefined)) out.push(c);
  return out;
}

/** Every volume, with IN_USE for those a live cluster mounted. */
export async function listVolumes(): Promise<VolumeRecord[]> {
  const { volumes } = await volumeTable().read();
  const rows: VolumeRecord[] = [];
  for (const rec of Object.values(volumes).sort((a, b) => a.name.localeCompare(b.name))) {
    const usedBy = await liveUsers(rec);
    rows.push({ ...rec, usedBy, status: usedBy.length ? 'IN_USE' : 'READY' });
  }
  return rows;
}

/** Deletes the volume and its data (a PVC adopted with use_existing is only forgotten). */
export async function deleteVolume(name: string, onMessage: (m: string) => void = () => undefined): Promise<void> {
  const rec = (await volumeTable().read()).volumes[name];
  if (!rec) throw new NotFoundError(`Volume '${name}'`, { hint: 'List volumes with `skydeck volumes ls`.' });
  const users = await liveUsers(rec);
  if (users.length)
    throw new InputError(`Volume '${name}' is in use by cluster(s) ${users.join(', ')}.`, {
      code: 'VOLUME_IN_USE',
      hint: `Tear them down first (skydeck down ${users.join(' ')}).`,
    });
  if (rec.cloud === 'kubernetes' && !rec.useExisting) {
    const provider = await getProvider('kubernetes');
    if (managesVolumes(provider)) {
      onMessage(`Deleting PVC ${rec.nameOnInfra} in ${rec.region}/${rec.namespace}`);
      await provider.deleteVolume({ region: rec.region, namespace: rec.namespace, nameOnInfra: rec.nameOnInfra });
    }
  } else if (rec.cloud === 'local') {
    fs.rmSync(localVolumeDir(rec.nameOnInfra), { recursive: true, force: true });
  } else if (rec.cloud === 'ssh') {
    // Deleting a volume deletes its data (SkyPilot deletes the PVC): here, the directory on every host of the pool.
    const dir = sshVolumeDir(rec.nameOnInfra);
    const provider = await getProvider('ssh');
    if (holdsVolumeDirs(provider)) {
      onMessage(`Deleting ${dir} on the hosts of pool ${rec.region}`);
      for (const r of await provider.removeVolumeDir(rec.region ?? '', dir))
        if (r.error) onMessage(`Warning: could not delete ${dir} on ${r.host} (${r.error}); remove it there by hand.`);
    }
  }
  await volumeTable().update((t) => void delete t.volumes[name]);
}

/** Records that `cluster` mounts the volumes `names` (before provisioning, so a half-made cluster counts too). */
export async function markUsed(names: string[], cluster: string): Promise<void> {
  await volumeTable().update((t) => {
    for (const n of names) {
      const rec = t.volumes[n];
      if (rec && !rec.usedBy.includes(cluster)) rec.usedBy.push(cluster);
    }
  });
}
