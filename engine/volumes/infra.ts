/** Where each volume type can live, and how a volume is named on its infra. */
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import { InputError } from '../errors';
import { skydeckHome } from '../util/paths';
import type { VolumeSpec, VolumeType } from './types';

/** Infra SkyDeck realises each type on: k8s-pvc is a PVC on Kubernetes, a host directory on `local` and SSH pools. */
const SUPPORTED: Record<VolumeType, string[]> = {
  'k8s-pvc': ['kubernetes', 'ssh', 'local'],
  'runpod-network-volume': [],
};

/** Throws, naming the field, when `spec.type` cannot live on `spec.infra`. */
export function checkVolumeInfra(spec: Pick<VolumeSpec, 'type' | 'infra' | 'name'>): void {
  const clouds = SUPPORTED[spec.type];
  if (clouds.includes(spec.infra.cloud)) return;
  if (!clouds.length)
    throw new InputError(`type: ${spec.type} volumes need RunPod, which SkyDeck does not provision (volume '${spec.name}').`, {
      code: 'VOLUME_INFRA',
      hint: 'Use type: k8s-pvc on Kubernetes, an SSH node pool or local.',
    });
  throw new InputError(`infra: a ${spec.type} volume cannot live on ${spec.infra.cloud} (volume '${spec.name}'); it works on ${clouds.join(', ')}.`, {
    code: 'VOLUME_INFRA',
    hint: 'Set infra to k8s[/<context>], ssh/<pool> or local.',
  });
}

/** `<name>-<6 hex of the user>`: a PVC or directory name two users of one cluster do not share. */
export function volumeNameOnInfra(name: string, user: string): string {
  const hash = crypto.createHash('sha256').update(user).digest('hex').slice(0, 6);
  return `${name.slice(0, 56)}-${hash}`;
}

/** Where a `local` volume's data lives on this machine. */
export function localVolumeDir(nameOnInfra: string): string {
  return path.join(skydeckHome(), 'volumes', nameOnInfra);
}

/** Where an SSH pool volume's data lives on each host of the pool (outside ~/.skydeck_node, which `down` removes). */
export function sshVolumeDir(nameOnInfra: string): string {
  return `~/.skydeck_volumes/${nameOnInfra}`;
}
