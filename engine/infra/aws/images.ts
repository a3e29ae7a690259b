/**
 * Which AMI to boot: an explicit `ami-...`, a `skypilot:<tag>` resolved through the
 * catalog's aws/images.csv for the region, or by default the newest Canonical Ubuntu
 * 22.04 image of the instance's architecture (DescribeImages; AMIs are per region).
 */
import { DescribeImagesCommand, type Image } from '@aws-sdk/client-ec2';
import { ProvisionError } from '../provider';
import { catalogImage } from '../../provisioning/images';
import { ec2 } from './client';

const CANONICAL = '099720109477';

export interface ResolvedImage {
  imageId: string;
  rootDeviceName: string;
  /** Login user for the image (SkyPilot's AWS images use 'ubuntu'). */
  sshUser: string;
}

/** Graviton families (m6g, c7gn, t4g, x2gd, im4gn, ...) need arm64 images. */
export function instanceArch(instanceType: string): 'arm64' | 'x86_64' {
  const family = instanceType.split('.')[0];
  return /^[a-z]+\d+[a-z]*g/.test(family) ? 'arm64' : 'x86_64';
}

function newest(images: Image[] | undefined): Image | undefined {
  return [...(images ?? [])].filter((i) => i.ImageId).sort((a, b) => `${b.CreationDate}${b.Name}`.localeCompare(`${a.CreationDate}${a.Name}`))[0];
}

export async function resolveImage(region: string, instanceType: string, requested: string | undefined): Promise<ResolvedImage> {
  const client = ec2(region);
  let imageId = requested;
  if (imageId?.startsWith('skypilot:')) {
    const fromCatalog = catalogImage('aws', imageId, region);
    if (!fromCatalog) {
      throw new ProvisionError('config', 'region', `AWS ${region}: image tag '${requested}' is not in the catalog's aws/images.csv for this region.`, {
        hint: 'Use an AMI id (ami-...) or a per-region image_id map.',
      });
    }
    imageId = fromCatalog;
  }
  if (imageId) {
    const r = await client.send(new DescribeImagesCommand({ ImageIds: [imageId] }));
    const img = r.Images?.[0];
    if (!img) throw new ProvisionError('config', 'region', `AWS ${region}: image ${imageId} was not found in this region.`, { hint: 'AMIs are per region; give an image for this region.' });
    return { imageId, rootDeviceName: img.RootDeviceName ?? '/dev/sda1', sshUser: 'ubuntu' };
  }
  const arch = instanceArch(instanceType);
  const archName = arch === 'arm64' ? 'arm64' : 'amd64';
  const attempts = [`ubuntu/images/*ubuntu-jammy-22.04-${archName}-server-*`, `ubuntu/images/*-${archName}-server-*`];
  for (const name of attempts) {
    const r = await client.send(
      new DescribeImagesCommand({ Owners: [CANONICAL], Filters: [{ Name: 'name', Values: [name] }, { Name: 'architecture', Values: [arch] }, { Name: 'state', Values: ['available'] }] }),
    );
    const img = newest(r.Images);
    if (img?.ImageId) return { imageId: img.ImageId, rootDeviceName: img.RootDeviceName ?? '/dev/sda1', sshUser: 'ubuntu' };
  }
  throw new ProvisionError('config', 'region', `AWS ${region}: no Ubuntu image for ${arch} found.`, { hint: 'Set resources.image_id to an AMI in this region.' });
}
