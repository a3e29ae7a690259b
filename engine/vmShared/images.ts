/**
 * The VM image SkyPilot boots, per cloud (sky/clouds/{aws,gcp,azure}.py at the version of
 * skypilot-behavior.md): with no `image_id` (or a `docker:` one, which runs inside the
 * default VM image) a GPU or accelerator instance gets SkyPilot's GPU image (CUDA 13; CUDA 12
 * for pre-Turing GPUs; Neuron on Trainium/Inferentia) and any other its CPU image, as a `skypilot:<tag>`;
 * tags resolve per region through the catalog's images.csv (engine/catalog/images.ts).
 * A tag with no image for the region is a ProvisionError before anything is created: AWS
 * images are regional, so the region is blocked and failover tries the next one, as
 * SkyPilot's ResourcesUnavailableError does; GCP and Azure images are global, so the cloud is.
 */
import { imageIdForTag, imageTable, tagRegions } from '../catalog/images';
import { instanceFacts } from '../catalog/instanceFacts';
import { ProvisionError } from '../infra/provider';

export type VmCloud = 'aws' | 'gcp' | 'azure';

export interface ImageChoiceInput {
  region: string;
  instanceType: string;
  /** The launch's accelerators; AWS and Azure read them from the catalog row of the type, as SkyPilot does. */
  accelerators?: { name: string; count: number };
  /** `resources.image_id` for this region, if any. */
  imageId?: string;
}

export interface VmImage {
  /** The cloud's image reference (AMI id, GCP image path, Azure URN or gallery path). */
  imageId: string;
  /** The `skypilot:` tag it came from, when it did. */
  tag?: string;
}

/** Azure regions SkyPilot's community-gallery images are replicated to (sky/catalog/azure_catalog.py). */
const AZURE_COMMUNITY_IMAGE_REGIONS = new Set([
  'centralus',
  'eastus',
  'eastus2',
  'northcentralus',
  'southcentralus',
  'westcentralus',
  'westus',
  'westus2',
  'westus3',
]);
const AZURE_FALLBACK_TAG = 'skypilot:gpu-ubuntu-2204';

/** Graviton families (m6g, c7gn, t4g, x2gd, im4gn, ...) are arm64. */
function awsArchFromName(instanceType: string): 'arm64' | 'x86_64' {
  return /^[a-z]+\d+[a-z]*g/.test(instanceType.split('.')[0]) ? 'arm64' : 'x86_64';
}

/**
 * Pre-Turing GPUs: SkyPilot's default GPU image has NVIDIA's open kernel module (driver 580,
 * CUDA 13), which needs Turing or later; these keep its proprietary-driver CUDA 12 image
 * (sky/clouds/utils/gpu_utils.py). K80 has an image of its own.
 */
const LEGACY_DRIVER_GPUS = new Set(['M60', 'P100', 'P4', 'V100']);

/**
 * SkyPilot's default image tag for an instance (no `image_id`), first; after it, for CUDA 13
 * GPU tags, the CUDA 12 tag that stands in where the images.csv has no CUDA 13 images.
 */
export function defaultImageTags(cloud: VmCloud, input: ImageChoiceInput): string[] {
  if (cloud === 'aws') {
    const facts = instanceFacts('aws', input.instanceType);
    const acc = facts ? facts.acceleratorName : input.accelerators?.name;
    const arm = (facts?.arch ?? awsArchFromName(input.instanceType)) === 'arm64';
    if (!acc) return [arm ? 'skypilot:custom-cpu-ubuntu-arm64' : 'skypilot:custom-cpu-ubuntu'];
    if (acc === 'K80') return ['skypilot:k80-ubuntu-2004'];
    if (acc.startsWith('Trainium') || acc.startsWith('Inferentia')) return ['skypilot:neuron-ubuntu-2204'];
    const cuda12 = arm ? 'skypilot:custom-gpu-ubuntu-arm64' : 'skypilot:custom-gpu-ubuntu';
    if (LEGACY_DRIVER_GPUS.has(acc)) return [cuda12];
    return [arm ? 'skypilot:custom-gpu-ubuntu-arm64-cuda13' : 'skypilot:custom-gpu-ubuntu-cuda13', cuda12];
  }
  if (cloud === 'gcp') {
    const acc = input.accelerators?.name;
    if (!acc) return ['skypilot:custom-cpu-ubuntu-2204'];
    if (acc === 'K80') return ['skypilot:k80-debian-10'];
    if (LEGACY_DRIVER_GPUS.has(acc)) return ['skypilot:custom-gpu-ubuntu-2204'];
    return ['skypilot:custom-gpu-ubuntu-2204-cuda13', 'skypilot:custom-gpu-ubuntu-2204'];
  }
  const facts = instanceFacts('azure', input.instanceType);
  const acc = facts ? facts.acceleratorName : input.accelerators?.name;
  if (acc === 'K80') return ['skypilot:k80-ubuntu-2004'];
  if (acc === 'A10') return ['skypilot:custom-gpu-ubuntu-v2-grid'];
  if (facts?.generation === 'V1') return ['skypilot:custom-gpu-ubuntu-v1'];
  return [acc ? 'skypilot:custom-gpu-ubuntu-v2' : 'skypilot:custom-cpu-ubuntu-v2'];
}

/**
 * The default tag to look up: a CUDA 13 tag when the images.csv in use has it at all, else
 * its CUDA 12 stand-in (SkyPilot's default GPU image before the CUDA 13 images; the bundled
 * AWS file predates them). A tag the file has, but not for the region, stays missing there.
 */
function pickDefaultTag(cloud: VmCloud, tags: string[]): string {
  return tags.find((t) => tagRegions(cloud, t)) ?? tags[0];
}

const LABEL: Record<VmCloud, string> = { aws: 'AWS', gcp: 'GCP', azure: 'Azure' };

/** The image to boot: an explicit cloud image as given, else a tag (given or SkyPilot's default) resolved for the region. */
export function chooseVmImage(cloud: VmCloud, input: ImageChoiceInput): VmImage {
  const requested = input.imageId && !input.imageId.startsWith('docker:') ? input.imageId : undefined;
  if (requested && !requested.startsWith('skypilot:')) return { imageId: requested };
  const tag = requested ?? pickDefaultTag(cloud, defaultImageTags(cloud, input));
  let imageId = imageIdForTag(cloud, tag, input.region);
  if (!imageId) {
    const file = imageTable(cloud)?.file;
    const where = file ? `${file.path} (${file.origin})` : `${cloud}/images.csv (no such file in the catalog sources)`;
    throw new ProvisionError(
      'config',
      cloud === 'aws' ? 'region' : 'cloud',
      `${LABEL[cloud]} ${input.region}: no image for ${requested ? 'the image_id tag' : "SkyPilot's default image"} '${tag}' ${cloud === 'aws' ? 'in this region ' : ''}in ${where}.`,
      {
        hint: requested
          ? `Use a tag listed for ${input.region} in ${cloud}/images.csv, or a cloud image id.`
          : 'Set resources.image_id to an image for this region, or refresh the catalog (skydeck catalog refresh --hosted).',
      },
    );
  }
  // SkyPilot's Azure community-gallery images exist in a few regions only; elsewhere it boots its marketplace GPU image.
  if (cloud === 'azure' && imageId.startsWith('/CommunityGalleries/') && !AZURE_COMMUNITY_IMAGE_REGIONS.has(input.region)) {
    imageId = imageIdForTag('azure', AZURE_FALLBACK_TAG, input.region) ?? imageId;
  }
  return { imageId, tag };
}
