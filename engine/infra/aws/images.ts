/**
 * Which AMI to boot: an explicit `ami-...` (described, for its root device), else a
 * `skypilot:<tag>` (the given one, or SkyPilot's default for the instance: GPU, CPU, arm64,
 * Neuron) resolved through the catalog's aws/images.csv for the region. SkyPilot's images
 * are Ubuntu with root device /dev/sda1, which SkyPilot assumes without asking EC2; so do we.
 */
import { DescribeImagesCommand } from '@aws-sdk/client-ec2';
import { ProvisionError } from '../provider';
import { chooseVmImage } from '../../vmShared/images';
import { ec2 } from './client';

const SKYPILOT_ROOT_DEVICE = '/dev/sda1';
const SKYPILOT_SSH_USER = 'ubuntu';

export interface ResolvedImage {
  imageId: string;
  rootDeviceName: string;
  /** Login user for the image (SkyPilot's AWS images use 'ubuntu'). */
  sshUser: string;
  /** The `skypilot:` tag the AMI came from, when it did. */
  tag?: string;
}

export async function resolveImage(region: string, instanceType: string, requested: string | undefined): Promise<ResolvedImage> {
  const chosen = chooseVmImage('aws', { region, instanceType, imageId: requested });
  if (chosen.tag) return { imageId: chosen.imageId, rootDeviceName: SKYPILOT_ROOT_DEVICE, sshUser: SKYPILOT_SSH_USER, tag: chosen.tag };
  const r = await ec2(region).send(new DescribeImagesCommand({ ImageIds: [chosen.imageId] }));
  const img = r.Images?.[0];
  if (!img)
    throw new ProvisionError('config', 'region', `AWS ${region}: image ${chosen.imageId} was not found in this region.`, {
      hint: 'AMIs are per region; give an image for this region.',
    });
  return { imageId: chosen.imageId, rootDeviceName: img.RootDeviceName ?? SKYPILOT_ROOT_DEVICE, sshUser: SKYPILOT_SSH_USER };
}
