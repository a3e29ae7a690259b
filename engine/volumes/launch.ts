/**
 * The task's `volumes:` at launch (SkyPilot's `{mount_path: volume_name}` or
 * `{mount_path: {name, sub_path}}`): before anything is provisioned every volume must exist
 * and live where the task may run; the task is then pinned to the volumes' infra (as a
 * volume pins SkyPilot's optimizer to its cloud and region). Kubernetes attaches the PVCs to
 * the pods at creation; on `local` and SSH pools each mount path becomes a symlink to the
 * volume's directory, before setup.
 */
import * as fs from 'node:fs';
import { InputError } from '../errors';
import type { VolumeAttachment } from '../infra/provider';
import { shellQuote, shellQuoteRemotePath } from '../node/quote';
import type { ResourcesSpec, Task } from '../task/types';
import type { ClusterAccess } from '../cluster/access';
import type { ClusterRecord } from '../cluster/types';
import { localVolumeDir, sshVolumeDir } from './infra';
import { markUsed } from './manage';
import { volumeTable } from './store';
import type { VolumeRecord } from './types';

export interface ResolvedMount {
  mountPath: string;
  volume: VolumeRecord;
  subPath?: string;
}

export interface PreparedVolumes {
  /** The task pinned to the volumes' infra. */
  task: Task;
  mounts: ResolvedMount[];
  /** What the provider attaches at creation (Kubernetes); empty elsewhere. */
  attachments: VolumeAttachment[];
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function infraLabel(cloud?: string, region?: string): string {
  return region ? `${cloud}/${region}` : (cloud ?? 'any infra');
}

/** Reads `volumes:` as written; throws naming `volumes.<path>` for forms SkyDeck does not run. */
export function taskVolumeRefs(task: Task): { mountPath: string; name: string; subPath?: string }[] {
  const out: { mountPath: string; name: string; subPath?: string }[] = [];
  for (const [mountPath, v] of Object.entries(task.volumes ?? {})) {
    if (typeof v === 'string' && v) out.push({ mountPath, name: v });
    else if (isObj(v) && typeof v.name === 'string') out.push({ mountPath, name: v.name, subPath: typeof v.sub_path === 'string' ? v.sub_path : undefined });
    else if (isObj(v))
      throw new InputError(`volumes.${mountPath}: ephemeral volumes (size/type without a name) are not implemented by SkyDeck.`, {
        hint: 'Create a volume with `skydeck volumes apply` and name it here.',
      });
    else throw new InputError(`volumes.${mountPath}: expected a volume name or {name, sub_path}.`);
  }
  return out;
}

/** The spec with the volume's infra, or an error when it asks for another. */
function pinned(spec: ResourcesSpec, vol: VolumeRecord, mountPath: string): ResourcesSpec {
  const want = spec.infra;
  if (want?.cloud && (want.cloud !== vol.cloud || (want.region && vol.region && want.region !== vol.region))) {
    throw new InputError(
      `volumes.${mountPath}: volume '${vol.name}' lives on ${vol.infra}, but the task asks for ${infraLabel(want.cloud, want.region)}; a ${vol.type} volume can only be mounted where it lives.`,
      { code: 'VOLUME_INFRA', hint: `Run the task on ${vol.infra} (infra: ${vol.infra}), or create the volume there.` },
    );
  }
  return { ...spec, infra: { ...want, cloud: vol.cloud, region: want?.region ?? vol.region } };
}

/**
 * Checks the task's volumes before provisioning; undefined when it has none. With
 * `clusterName`, records that cluster as using them (a launch); without, only checks (a
 * managed job or service being submitted, whose clusters come later).
 */
export async function prepareVolumes(task: Task, clusterName?: string): Promise<PreparedVolumes | undefined> {
  const refs = taskVolumeRefs(task);
  if (!refs.length) return undefined;
  const { volumes } = await volumeTable().read();
  const mounts: ResolvedMount[] = [];
  for (const r of refs) {
    const volume = volumes[r.name];
    if (!volume)
      throw new InputError(`volumes.${r.mountPath}: volume '${r.name}' does not exist.`, {
        code: 'VOLUME_NOT_FOUND',
        hint: 'Create it first with `skydeck volumes apply VOLUME.yaml` (see `skydeck volumes ls`).',
      });
    if (volume.cloud === 'kubernetes' && !r.mountPath.startsWith('/'))
      throw new InputError(`volumes.${r.mountPath}: a Kubernetes volume needs an absolute mount path.`);
    if (r.subPath && (r.subPath.startsWith('/') || r.subPath.split('/').includes('..')))
      throw new InputError(`volumes.${r.mountPath}.sub_path: '${r.subPath}' must be a relative path inside the volume.`);
    mounts.push({ mountPath: r.mountPath, volume, subPath: r.subPath });
  }
  const first = mounts[0].volume;
  const other = mounts.find((m) => m.volume.infra !== first.infra);
  if (other)
    throw new InputError(
      `volumes.${other.mountPath}: volume '${other.volume.name}' is on ${other.volume.infra}, volume '${first.name}' on ${first.infra}: one task runs in one place.`,
      {
        code: 'VOLUME_INFRA',
      },
    );
  let resources = task.resources;
  for (const m of mounts) {
    resources = {
      ...resources,
      base: pinned(resources.base, m.volume, m.mountPath),
      candidates: resources.candidates.map((c) => pinned(c, m.volume, m.mountPath)),
    };
  }
  if (clusterName !== undefined)
    await markUsed(
      mounts.map((m) => m.volume.name),
      clusterName,
    );
  const attachments: VolumeAttachment[] =
    first.cloud === 'kubernetes'
      ? mounts.map((m) => ({ mountPath: m.mountPath, nameOnInfra: m.volume.nameOnInfra, subPath: m.subPath, namespace: m.volume.namespace }))
      : [];
  return { task: { ...task, resources }, mounts, attachments };
}

/**
 * Links each mount path to its volume's directory on every node (local and SSH pools). A
 * path that is already a link is replaced; an existing directory is replaced only when empty.
 */
export async function mountVolumes(access: ClusterAccess, rec: ClusterRecord, prepared: PreparedVolumes, onMessage: (m: string) => void): Promise<void> {
  if (rec.resources.cloud === 'kubernetes') {
    // Attached to the pods at creation: a cluster launched without a claim cannot gain it.
    const attached = Array.isArray(rec.handle.data.volumes) ? (rec.handle.data.volumes as string[]) : [];
    const missing = prepared.mounts.find((m) => !attached.includes(m.volume.nameOnInfra));
    if (missing)
      throw new InputError(
        `volumes.${missing.mountPath}: cluster '${rec.name}' was launched without volume '${missing.volume.name}', and pods cannot gain volumes.`,
        {
          code: 'VOLUME_NOT_ATTACHED',
          hint: 'Launch the task on a new cluster (another -c name), or down this one first.',
        },
      );
    return;
  }
  for (const m of prepared.mounts) {
    const base = rec.resources.cloud === 'local' ? localVolumeDir(m.volume.nameOnInfra) : sshVolumeDir(m.volume.nameOnInfra);
    if (rec.resources.cloud === 'local') fs.mkdirSync(base, { recursive: true, mode: 0o700 });
    const target = m.subPath ? `${base}/${m.subPath}` : base;
    const t = rec.resources.cloud === 'local' ? shellQuote(target) : shellQuoteRemotePath(target);
    const mp = shellQuoteRemotePath(m.mountPath);
    const script = [
      'set -e',
      `T=${t}; M=${mp}`,
      'mkdir -p "$T"',
      'run() { "$@" 2>/dev/null || sudo -n "$@"; }',
      'if [ -d "$M" ] && [ ! -L "$M" ]; then rmdir "$M" 2>/dev/null || run rmdir "$M" || { echo "mount path $M exists and is not empty" >&2; exit 3; }; fi',
      'run mkdir -p "$(dirname "$M")"',
      'run ln -sfn "$T" "$M"',
    ].join('\n');
    onMessage(`Mounting volume '${m.volume.name}' at ${m.mountPath} on ${access.transports.length} node(s).`);
    await Promise.all(
      access.transports.map(async (tr) => {
        const r = await tr.exec(['bash', '-c', script]);
        if (r.exitCode !== 0)
          throw new InputError(
            `volumes.${m.mountPath}: cannot mount volume '${m.volume.name}' on ${tr.description}: ${(r.stderr || r.stdout).trim() || `exit ${r.exitCode}`}`,
            {
              hint: 'Use a mount path the node user can create (e.g. under ~), or empty the directory there.',
            },
          );
      }),
    );
  }
}
