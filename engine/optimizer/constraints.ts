/**
 * Resources fields that rule out infra, instance types or regions beyond what the catalog
 * columns say: disk_tier, image_id and ports. As SkyPilot does it:
 *   - Resources.get_required_cloud_features: disk_tier other than `best` needs
 *     CUSTOM_DISK_TIER, a `docker:` image DOCKER_IMAGE, any other image_id IMAGE_ID,
 *     ports OPEN_PORTS; an infra without the feature is not a candidate. Kubernetes lacks
 *     CUSTOM_DISK_TIER (reference 1.4) and cannot open ports on the local kind cluster
 *     (`kind-skypilot`); SkyDeck's `local` and SSH node pools run on machines as they are
 *     (no disk tiers, no VM images; a `docker:` image runs in a container on them).
 *   - Cloud.check_disk_tier per instance type: Azure has no `ultra`, and its premium SSDs
 *     (`medium`, `high`) need an S-series instance type (an `s` in the size suffix).
 *     AWS and GCP accept every tier (GCP maps it to a disk type the series supports).
 *   - Resources.valid_on_region_zones: an image_id map `{region: image}` keeps only its
 *     regions; a `skypilot:` tag keeps the regions its cloud's images.csv lists it for.
 *   - image_id checks (reference 1.4): the cloud must be known for a VM image, and AWS
 *     images other than tags need a region. SkyDeck also reads the cloud from the image's
 *     own form (`ami-…` AWS, `projects/…` GCP, `publisher:offer:sku:version` or a gallery
 *     path Azure) so an unpinned task is planned on that cloud only.
 */
import * as fs from 'node:fs';
import { isCatalogCloud } from '../catalog/catalog';
import type { Rejection } from '../catalog/query';
import { resolveCatalogFile } from '../catalog/sources';
import type { ResourcesSpec } from '../task/types';

export type { Rejection } from '../catalog/query';

type Feature = 'custom-disk-tier' | 'docker-image' | 'image-id' | 'open-ports';

const LABEL: Record<string, string> = { aws: 'AWS', gcp: 'GCP', azure: 'Azure', kubernetes: 'Kubernetes', ssh: 'SSH node pools', local: 'Local' };
const label = (cloud: string) => LABEL[cloud] ?? cloud;

/** SkyPilot's kind cluster context (`sky local up`): its load balancers never get an address. */
const KIND_CONTEXT = 'kind-skypilot';

const DISK_TIERS = ['low', 'medium', 'high', 'ultra', 'best'];

function diskTier(spec: ResourcesSpec): string | undefined {
  const t = spec.diskTier?.trim().toLowerCase();
  return t && t !== 'none' ? t : undefined;
}

/** The docker image (`docker:` string, or the map's reserved `docker` key). */
function dockerImage(spec: ResourcesSpec): string | undefined {
  const id = spec.imageId;
  if (!id) return undefined;
  if (typeof id === 'string') return id.startsWith('docker:') ? id : undefined;
  return id.docker;
}

/** A VM image given as one string (not docker). */
function vmImageString(spec: ResourcesSpec): string | undefined {
  const id = spec.imageId;
  return typeof id === 'string' && !id.startsWith('docker:') ? id.trim() : undefined;
}

/** The regions of an image_id map (its keys other than `docker`); undefined when not a map or none. */
function imageRegions(spec: ResourcesSpec): string[] | undefined {
  const id = spec.imageId;
  if (!id || typeof id === 'string') return undefined;
  const keys = Object.keys(id).filter((k) => k !== 'docker');
  return keys.length ? keys : undefined;
}

/** The cloud an image id belongs to, read from its form; undefined for tags and unknown forms. */
export function imageCloud(image: string): 'aws' | 'gcp' | 'azure' | undefined {
  if (/^ami-[0-9a-f]+$/i.test(image)) return 'aws';
  if (/^projects\/[^/]+\/global\/(images|machineImages)\//.test(image)) return 'gcp';
  if (/^[^:/\s]+:[^:/\s]+:[^:/\s]+:[^:/\s]+$/.test(image) || /^\/(CommunityGalleries|SharedGalleries|subscriptions)\//i.test(image)) return 'azure';
  return undefined;
}

/** Required features, as Resources.get_required_cloud_features. */
function requiredFeatures(spec: ResourcesSpec): Feature[] {
  const out: Feature[] = [];
  const tier = diskTier(spec);
  if (tier && tier !== 'best') out.push('custom-disk-tier');
  if (dockerImage(spec)) out.push('docker-image');
  else if (spec.imageId) out.push('image-id');
  if (spec.ports?.length) out.push('open-ports');
  return out;
}

const FEATURE_FIELD: Record<Feature, string> = { 'custom-disk-tier': 'disk_tier', 'docker-image': 'image_id', 'image-id': 'image_id', 'open-ports': 'ports' };

/** Why `cloud` (its `region`: a Kubernetes context, an SSH pool) lacks `feature`; undefined when it has it. */
function unsupported(cloud: string, region: string | undefined, feature: Feature): string | undefined {
  switch (cloud) {
    case 'aws':
    case 'gcp':
    case 'azure':
      return undefined;
    case 'kubernetes':
      if (feature === 'custom-disk-tier') return 'Kubernetes does not support custom disk tiers';
      if (feature === 'open-ports' && region === KIND_CONTEXT)
        return `Kubernetes cannot open ports on the local kind cluster (${KIND_CONTEXT}): its load balancers get no external address`;
      return undefined; // a bare image_id string is a container image there
    case 'ssh':
    case 'local': {
      const who = cloud === 'ssh' ? "SSH node pools use their machines'" : "Local nodes use this machine's";
      if (feature === 'custom-disk-tier') return `${who} disks as they are: no disk tiers`;
      if (feature === 'image-id') return `${who} system as it is: no VM image_id (a docker: image runs in a container there)`;
      return undefined; // processes bind their ports directly
    }
    default:
      return `${label(cloud)} is unknown to SkyDeck`;
  }
}

/**
 * Why the spec cannot run on `cloud` at all (in `region`: a context or pool for
 * Kubernetes and SSH); undefined when it can. The first reason found.
 */
export function rejectInfra(spec: ResourcesSpec, cloud: string, region?: string): Rejection | undefined {
  const tier = diskTier(spec);
  if (tier && !DISK_TIERS.includes(tier)) return { field: 'disk_tier', message: `disk_tier '${spec.diskTier}' is not one of ${DISK_TIERS.join(', ')}` };
  for (const f of requiredFeatures(spec)) {
    const why = unsupported(cloud, region, f);
    if (why) return { field: FEATURE_FIELD[f], message: why };
  }
  if (cloud === 'azure' && tier === 'ultra') return { field: 'disk_tier', message: 'Azure does not support disk_tier: ultra (use low, medium, high or best)' };
  const image = vmImageString(spec);
  if (image) {
    const owner = imageCloud(image);
    if (owner && owner !== cloud) return { field: 'image_id', message: `image_id ${image} is a ${label(owner)} image` };
    if (isCatalogCloud(cloud)) {
      if (image.startsWith('skypilot:')) {
        const tags = imageTags(cloud);
        if (tags && !tags.has(image)) return { field: 'image_id', message: `image tag ${image} is not in ${label(cloud)}'s images.csv` };
      } else if (!owner && !spec.infra?.cloud) {
        return {
          field: 'image_id',
          message: `image_id ${image} does not say which cloud it is for: pin infra to its cloud (SkyPilot needs the cloud with a VM image)`,
        };
      }
      if (cloud === 'aws' && !image.startsWith('skypilot:') && !spec.infra?.region) {
        return { field: 'image_id', message: `an AWS image (${image}) exists in one region: pin infra to aws/<region>, or give image_id per region` };
      }
    }
  }
  return undefined;
}

/** Azure's naming: an `s` among the size's lower-case letters means premium storage (S-series). */
export function isAzureSSeries(instanceType: string): boolean | undefined {
  const m = /^(Standard|Basic)_([A-Z]+)([0-9]+)(-[0-9]+)?([a-z]*)(_[A-Z]+[0-9]+)?(_v[0-9])?(_Promo)?/.exec(instanceType);
  return m ? m[5].includes('s') : undefined;
}

/** Why one instance type of `cloud` cannot take the spec's disk_tier (Cloud.check_disk_tier). */
function rejectInstanceType(spec: ResourcesSpec, cloud: string, instanceType: string): Rejection | undefined {
  const tier = diskTier(spec);
  if (cloud !== 'azure' || (tier !== 'medium' && tier !== 'high')) return undefined;
  // An instance type outside Azure's naming scheme is left alone rather than guessed at.
  if (isAzureSSeries(instanceType) === false) {
    return {
      field: 'disk_tier',
      message: `Azure premium SSDs (disk_tier: ${tier}) need an S-series instance type (an 's' in the size, e.g. Standard_D8s_v5); ${instanceType} is not one`,
    };
  }
  return undefined;
}

/** Why a region of `cloud` cannot take the spec's image_id (map keys, tag regions). */
function rejectRegion(spec: ResourcesSpec, cloud: string, region: string): Rejection | undefined {
  const keys = imageRegions(spec);
  if (keys && !keys.includes(region)) return { field: 'image_id', message: `image_id names images for ${keys.join(', ')} only, not ${region}` };
  const image = vmImageString(spec);
  if (image?.startsWith('skypilot:') && isCatalogCloud(cloud)) {
    const regions = imageTags(cloud)?.get(image);
    if (regions && regions !== 'all' && !regions.has(region))
      return {
        field: 'image_id',
        message: `image tag ${image} is listed for ${[...regions].slice(0, 4).join(', ')}${regions.size > 4 ? ', ...' : ''} in ${label(cloud)}'s images.csv, not ${region}`,
      };
  }
  return undefined;
}

/** The spec's constraints as OfferQuery filters for one catalog cloud (undefined when it has none). */
export function queryFilters(
  spec: ResourcesSpec,
  cloud: string,
): { rejectType?: (t: string) => Rejection | undefined; rejectRegion?: (r: string) => Rejection | undefined } {
  const out: { rejectType?: (t: string) => Rejection | undefined; rejectRegion?: (r: string) => Rejection | undefined } = {};
  const tier = diskTier(spec);
  if (cloud === 'azure' && (tier === 'medium' || tier === 'high')) out.rejectType = (t) => rejectInstanceType(spec, cloud, t);
  if (imageRegions(spec) || vmImageString(spec)?.startsWith('skypilot:')) out.rejectRegion = (r) => rejectRegion(spec, cloud, r);
  return out;
}

const tagCache = new Map<string, { key: string; tags: Map<string, Set<string> | 'all'> }>();

/** `skypilot:` tags of a cloud's images.csv -> regions ('all' for an empty Region); undefined without the file. */
function imageTags(cloud: string): Map<string, Set<string> | 'all'> | undefined {
  const f = resolveCatalogFile(`${cloud}/images.csv`);
  if (!f) return undefined;
  let key: string;
  try {
    const st = fs.statSync(f.path);
    key = `${f.path}:${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
  const hit = tagCache.get(cloud);
  if (hit && hit.key === key) return hit.tags;
  const tags = new Map<string, Set<string> | 'all'>();
  const lines = fs.readFileSync(f.path, 'utf8').split(/\r?\n/);
  const header = lines[0].split(',').map((h) => h.trim());
  const iTag = header.indexOf('Tag');
  const iRegion = header.indexOf('Region');
  if (iTag < 0) return undefined;
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const cols = line.split(',');
    const tag = cols[iTag]?.trim();
    if (!tag) continue;
    const region = iRegion >= 0 ? cols[iRegion]?.trim() : '';
    const prev = tags.get(tag);
    if (!region || prev === 'all') tags.set(tag, 'all');
    else if (prev) prev.add(region);
    else tags.set(tag, new Set([region]));
  }
  tagCache.set(cloud, { key, tags });
  return tags;
}
