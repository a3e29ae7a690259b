/**
 * The Compute Engine instance body for a node, as SkyPilot builds it: an image from the
 * catalog tag, a boot disk of the requested size and tier, GPUs attached to n1 hosts as
 * guestAccelerators (a2/a3/g2/a4 types carry theirs), TERMINATE on host maintenance
 * whenever GPUs are present, SPOT provisioning, cluster labels, the SSH key in metadata,
 * and a network tag the cluster's firewall rule targets.
 */
import type { protos } from '@google-cloud/compute';
import { ProvisionError, type LaunchRequest } from '../provider';
import { chooseVmImage } from '../../vmShared/images';
import { CLUSTER_LABEL, gcpLabel, NODE_TYPE_LABEL, networkTag } from './names';

export { CLUSTER_LABEL, firewallName, gcpLabel, NODE_TYPE_LABEL, networkTag, placementPolicyName } from './names';

type Instance = protos.google.cloud.compute.v1.IInstance;

export const SSH_USER = 'gcpuser';

const GPU_TYPES: Record<string, string> = {
  K80: 'nvidia-tesla-k80',
  P4: 'nvidia-tesla-p4',
  P100: 'nvidia-tesla-p100',
  V100: 'nvidia-tesla-v100',
  T4: 'nvidia-tesla-t4',
  A100: 'nvidia-tesla-a100',
  'A100-80GB': 'nvidia-a100-80gb',
  L4: 'nvidia-l4',
  H100: 'nvidia-h100-80gb',
  'H100-MEGA': 'nvidia-h100-mega-80gb',
  H200: 'nvidia-h200-141gb',
  B200: 'nvidia-b200',
};

const DISK_TYPES: Record<string, string> = { low: 'pd-standard', medium: 'pd-balanced', high: 'pd-ssd', ultra: 'pd-extreme', best: 'pd-ssd' };

/** Label keys follow the value rules and must also start with a lowercase letter. */
function gcpLabelKey(k: string): string {
  const v = gcpLabel(k);
  return /^[a-z]/.test(v) ? v : `k${v}`.slice(0, 63);
}

export function instanceName(nameOnCloud: string, role: 'head' | 'worker', suffix: string): string {
  return `${nameOnCloud.slice(0, 45)}-${suffix}-${role}`.replace(/^[^a-z]+/, 'n-');
}

export function checkSupported(request: LaunchRequest): void {
  const acc = request.accelerators;
  if (acc && (/^tpu-/i.test(acc.name) || /^tpu/i.test(request.instanceType))) {
    throw new ProvisionError('config', 'launchable', `GCP: TPUs (${acc.name}) are not supported by SkyDeck yet.`, {
      hint: 'Use a GPU (e.g. accelerators: A100:1) or launch TPUs with SkyPilot for now.',
    });
  }
  if (acc && request.instanceType.startsWith('n1-') && !GPU_TYPES[acc.name]) {
    throw new ProvisionError('config', 'launchable', `GCP: the accelerator ${acc.name} cannot be attached to ${request.instanceType}.`);
  }
}

/** SkyPilot's image for the node (GPU or CPU tag, or the requested image), resolved through gcp/images.csv. */
export function defaultImage(request: LaunchRequest, region: string): string {
  return chooseVmImage('gcp', { region, instanceType: request.instanceType, accelerators: request.accelerators, imageId: request.imageId }).imageId;
}

export function buildInstance(request: LaunchRequest, zone: string, name: string, role: 'head' | 'worker', image: string): Instance {
  const acc = request.accelerators;
  const attachGpus = acc && request.instanceType.startsWith('n1-');
  const hasGpu = Boolean(acc);
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.labels)) labels[gcpLabelKey(k)] = gcpLabel(v);
  Object.assign(labels, { [CLUSTER_LABEL]: gcpLabel(request.nameOnCloud), [NODE_TYPE_LABEL]: role, 'skydeck-cluster-name': gcpLabel(request.clusterName) });
  return {
    name,
    machineType: `zones/${zone}/machineTypes/${request.instanceType}`,
    labels,
    tags: { items: [networkTag(request.nameOnCloud)] },
    disks: [
      {
        boot: true,
        autoDelete: true,
        type: 'PERSISTENT',
        initializeParams: {
          sourceImage: image,
          diskSizeGb: String(request.diskSizeGb),
          diskType: `zones/${zone}/diskTypes/${DISK_TYPES[request.diskTier ?? 'medium'] ?? 'pd-balanced'}`,
        },
      },
    ],
    networkInterfaces: [{ network: 'global/networks/default', accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] }],
    ...(attachGpus && acc
      ? { guestAccelerators: [{ acceleratorType: `zones/${zone}/acceleratorTypes/${GPU_TYPES[acc.name]}`, acceleratorCount: acc.count }] }
      : {}),
    scheduling: {
      // VMs with GPUs cannot live-migrate.
      onHostMaintenance: hasGpu || request.useSpot ? 'TERMINATE' : 'MIGRATE',
      automaticRestart: !request.useSpot,
      ...(request.useSpot ? { provisioningModel: 'SPOT', instanceTerminationAction: 'STOP' } : {}),
    },
    metadata: {
      items: [
        { key: 'ssh-keys', value: `${SSH_USER}:${request.sshPublicKey.trim()}` },
        { key: 'enable-oslogin', value: 'FALSE' },
        // The guest agent publishes the VM's SSH host keys as guest attributes (hostkeys/),
        // which the launch records before the first connection (engine/vmShared/HOSTKEYS.md).
        { key: 'enable-guest-attributes', value: 'TRUE' },
      ],
    },
  };
}
