/**
 * `skypilot:<tag>` image ids resolved through the catalog's images.csv
 * (`Tag,Region,OS,OSVersion,ImageId,CreationDate[,BaseImageId]`; an empty Region means
 * every region). Read directly so the provider bundles stay independent of the catalog module.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { packageRoot } from '../util/paths';

function catalogDirs(): string[] {
  const dirs: string[] = [];
  if (process.env.SKYDECK_CATALOG_DIR) dirs.push(process.env.SKYDECK_CATALOG_DIR);
  try {
    dirs.push(path.join(packageRoot(), 'catalogs'));
  } catch (_) {
    // no package root (unusual layout): only SKYDECK_CATALOG_DIR
  }
  return dirs;
}

/** The image for `tag` (with or without the `skypilot:` prefix) in `region`, if the catalog has it. */
export function catalogImage(cloud: string, tag: string, region: string): string | undefined {
  const want = tag.startsWith('skypilot:') ? tag : `skypilot:${tag}`;
  for (const dir of catalogDirs()) {
    const file = path.join(dir, cloud, 'images.csv');
    if (!fs.existsSync(file)) continue;
    const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
    const header = lines[0].split(',');
    const iTag = header.indexOf('Tag');
    const iRegion = header.indexOf('Region');
    const iImage = header.indexOf('ImageId');
    let any: string | undefined;
    for (const line of lines.slice(1)) {
      const cols = line.split(',');
      if (cols[iTag] !== want) continue;
      if (cols[iRegion] === region) return cols[iImage];
      if (!cols[iRegion]) any = cols[iImage];
    }
    if (any) return any;
  }
  return undefined;
}

/** An explicit image: a string, or SkyPilot's per-region map. */
export function requestedImage(imageId: string | Record<string, string> | undefined, region: string): string | undefined {
  if (!imageId) return undefined;
  if (typeof imageId === 'string') return imageId;
  return imageId[region];
}
