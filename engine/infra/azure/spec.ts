/** Names, images and VM bodies for an Azure cluster (one resource group per cluster). */
import type { ImageReference, VirtualMachine } from '@azure/arm-compute';
import { ProvisionError, type LaunchRequest } from '../provider';
import { chooseVmImage } from '../../vmShared/images';

export const SSH_USER = 'azureuser';
export const CLUSTER_TAG = 'skydeck-cluster';
export const NODE_TYPE_TAG = 'skydeck-node-type';

export function names(nameOnCloud: string) {
  return {
    resourceGroup: `skydeck-${nameOnCloud}`,
    nsg: `${nameOnCloud}-nsg`,
    vnet: `${nameOnCloud}-vnet`,
    subnet: 'default',
    portsRule: 'skydeck-ports',
    sshRule: 'skydeck-ssh',
    identity: `${nameOnCloud}-msi`,
  };
}

const DISK_SKUS: Record<string, string> = { low: 'Standard_LRS', medium: 'StandardSSD_LRS', high: 'Premium_LRS', ultra: 'Premium_LRS', best: 'Premium_LRS' };

/** `publisher:offer:sku:version`, a community-gallery path, or a full resource id. */
function imageReference(image: string): ImageReference {
  if (image.startsWith('/CommunityGalleries/')) return { communityGalleryImageId: image };
  if (image.startsWith('/subscriptions/')) return { id: image };
  const parts = image.split(':');
  if (parts.length !== 4) {
    throw new ProvisionError('config', 'launchable', `Azure: image '${image}' is not publisher:offer:sku:version, a community gallery image or a resource id.`);
  }
  const [publisher, offer, sku, version] = parts;
  return { publisher, offer, sku, version };
}

/** SkyPilot's image for the VM size (GPU, grid, Gen1 or CPU tag, or the requested image), resolved through azure/images.csv. */
export function chooseImage(request: LaunchRequest): string {
  return chooseVmImage('azure', { region: request.region, instanceType: request.instanceType, accelerators: request.accelerators, imageId: request.imageId })
    .imageId;
}

/** Tag names may not hold `<>%&\?/` or control characters and are at most 512 long; values at most 256. */
function userTags(labels: Record<string, string>): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) tags[k.replace(/[<>%&\\?/\p{Cc}]/gu, '_').slice(0, 512)] = v.slice(0, 256);
  return tags;
}

export function tagsFor(request: LaunchRequest, role?: 'head' | 'worker'): Record<string, string> {
  return {
    ...userTags(request.labels),
    [CLUSTER_TAG]: request.nameOnCloud,
    'skydeck-cluster-name': request.clusterName,
    ...(role ? { [NODE_TYPE_TAG]: role } : {}),
  };
}

/**
 * The VM's body. `identity`: the user-assigned managed identity it carries
 * (`azure.remote_identity`: SkyDeck's own per cluster for SERVICE_ACCOUNT, or the named one).
 */
export function vmBody(request: LaunchRequest, vmName: string, role: 'head' | 'worker', nicId: string, image: string, identity?: string): VirtualMachine {
  return {
    location: request.region,
    tags: tagsFor(request, role),
    ...(identity ? { identity: { type: 'UserAssigned', userAssignedIdentities: { [identity]: {} } } } : {}),
    hardwareProfile: { vmSize: request.instanceType },
    storageProfile: {
      imageReference: imageReference(image),
      osDisk: {
        createOption: 'FromImage',
        diskSizeGB: request.diskSizeGb,
        managedDisk: { storageAccountType: DISK_SKUS[request.diskTier ?? 'medium'] ?? 'StandardSSD_LRS' },
        deleteOption: 'Delete',
      },
    },
    osProfile: {
      computerName: vmName.slice(0, 64),
      adminUsername: SSH_USER,
      linuxConfiguration: {
        disablePasswordAuthentication: true,
        ssh: { publicKeys: [{ path: `/home/${SSH_USER}/.ssh/authorized_keys`, keyData: request.sshPublicKey.trim() }] },
      },
    },
    networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' }] },
    // Spot VMs are deleted on eviction, so a preempted node vanishes (as SkyDeck's recovery expects).
    ...(request.useSpot ? { priority: 'Spot', evictionPolicy: 'Delete', billingProfile: { maxPrice: -1 } } : {}),
  };
}
