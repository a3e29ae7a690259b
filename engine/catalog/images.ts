/**
 * SkyPilot's image tags (`<cloud>/images.csv`: `Tag,Region,OS,OSVersion,ImageId,...`) and the
 * cloud image each stands for. AMIs are regional, so an AWS tag resolves only for a region
 * its file lists; GCP and Azure images are global (an empty Region), as SkyPilot reads them.
 *
 * The file comes from the usual source order, except that a SKYDECK_CATALOG_DIR without an
 * images.csv falls through to the cache and the bundled snapshot: a folder of prices alone
 * (what `skydeck catalog refresh --cloud aws` writes) must still boot SkyPilot's images.
 * Light on purpose (no catalog index): the provider bundles import it.
 */
import * as fs from 'node:fs';
import { splitCsvLine } from './fetchers/writer';
import { firstExisting, type CatalogFile } from './locations';

export interface ImageRow {
  tag: string;
  /** '' when the image is global. */
  region: string;
  imageId: string;
}

export interface ImageTable {
  file: CatalogFile;
  rows: ImageRow[];
}

/** Clouds whose images.csv rows are per region (SkyPilot filters them by region). */
const REGIONAL = new Set(['aws']);

const cache = new Map<string, { key: string; table: ImageTable }>();

/** `cloud`'s images.csv, parsed; undefined when no source has one. A malformed file is an error naming it. */
export function imageTable(cloud: string): ImageTable | undefined {
  const file = firstExisting(`${cloud}/images.csv`, { fallThrough: true });
  if (!file) return undefined;
  const st = fs.statSync(file.path);
  const key = `${file.path}:${st.size}:${st.mtimeMs}`;
  const hit = cache.get(cloud);
  if (hit?.key === key) return hit.table;
  const table = { file, rows: parseImagesCsv(fs.readFileSync(file.path, 'utf8'), file.path) };
  cache.set(cloud, { key, table });
  return table;
}

function parseImagesCsv(text: string, where: string): ImageRow[] {
  const lines = text.split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? '').map((h) => h.trim().replace(/^\uFEFF/, ''));
  const iTag = header.indexOf('Tag');
  const iRegion = header.indexOf('Region');
  const iImage = header.indexOf('ImageId');
  if (iTag < 0 || iRegion < 0 || iImage < 0) throw new Error(`${where}: the header needs Tag, Region and ImageId columns (found: ${header.join(',')})`);
  const rows: ImageRow[] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const cells = splitCsvLine(line);
    if (cells[iTag] && cells[iImage]) rows.push({ tag: cells[iTag], region: cells[iRegion] ?? '', imageId: cells[iImage] });
  }
  return rows;
}

/**
 * The image `tag` (with or without `skypilot:`) stands for in `region`: the row for that
 * region, else a global row; on GCP and Azure any row of the tag (their images are global).
 */
export function imageIdForTag(cloud: string, tag: string, region: string): string | undefined {
  const table = imageTable(cloud);
  if (!table) return undefined;
  const want = tag.startsWith('skypilot:') ? tag : `skypilot:${tag}`;
  const rows = table.rows.filter((r) => r.tag === want);
  const row = rows.find((r) => r.region === region) ?? rows.find((r) => r.region === '') ?? (REGIONAL.has(cloud) ? undefined : rows[0]);
  return row?.imageId;
}

/** Regions the tag is listed for ('all' when it has a global row); undefined for an unknown tag. */
export function tagRegions(cloud: string, tag: string): Set<string> | 'all' | undefined {
  const rows = imageTable(cloud)?.rows.filter((r) => r.tag === tag);
  if (!rows?.length) return undefined;
  if (!REGIONAL.has(cloud) || rows.some((r) => r.region === '')) return 'all';
  return new Set(rows.map((r) => r.region));
}
