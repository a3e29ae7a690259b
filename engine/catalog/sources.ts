/**
 * Where the catalog comes from, per file, in SkyPilot's layout (<cloud>/vms.csv,
 * common/accelerators.csv):
 *   1. SKYDECK_CATALOG_DIR, when set (tests, air-gapped users): only that folder;
 *   2. the cached copy of SkyPilot's hosted catalog, SKYDECK_HOME/catalogs/v8 (refreshed
 *      in the background every 7 hours, see ./hosted.ts);
 *   3. the bundled snapshot, <package>/catalogs.
 * The catalog is loaded on first use and reloaded when a source file changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Catalog, CATALOG_CLOUDS, type CatalogCloud } from './catalog';
import { scheduleHostedRefresh } from './hosted';
import { indexCacheEnabled, readCachedTable, writeCachedTable } from './indexCache';
import { parseVmsCsvFile } from './table';
import { firstExisting, type CatalogFile } from './locations';

export type { CatalogFile, CatalogOrigin } from './locations';

/** Where `file` (e.g. 'gcp/vms.csv') comes from: the first source that has it (see the header). */
export function resolveCatalogFile(file: string): CatalogFile | undefined {
  return firstExisting(file);
}

export function resolveCatalogFiles(): CatalogFile[] {
  const out: CatalogFile[] = [];
  for (const cloud of CATALOG_CLOUDS) {
    const f = firstExisting(`${cloud}/vms.csv`);
    if (f) out.push(f);
  }
  const acc = firstExisting('common/accelerators.csv');
  if (acc) out.push(acc);
  return out;
}

/** Loads a catalog from explicit files (tests and the benchmark use this directly). */
function loadCatalogFiles(files: CatalogFile[]): Catalog {
  const cat = new Catalog();
  for (const f of files) {
    if (f.file === 'common/accelerators.csv') {
      cat.addAcceleratorList(fs.readFileSync(f.path, 'utf8'));
      continue;
    }
    const cloud = f.file.split('/')[0] as CatalogCloud;
    try {
      const useCache = indexCacheEnabled();
      let table = useCache ? readCachedTable(cloud, f.path, cat.strings) : undefined;
      if (!table) {
        table = parseVmsCsvFile(cloud, f.path, cat.strings);
        if (useCache) writeCachedTable(cloud, f.path, table, cat.strings);
      }
      cat.addTable(cloud, table, `${f.origin}:${f.path}`);
    } catch (err) {
      // A broken file (a user's hand edit, a truncated download) must not take every
      // other cloud down with it: skip it and say where it is.
      process.emitWarning(`Skipping catalog ${f.path}: ${err instanceof Error ? err.message : String(err)}. Delete it to fall back to the bundled catalog.`);
    }
  }
  return cat;
}

export function loadCatalogDir(dir: string): Catalog {
  const files: CatalogFile[] = [];
  for (const cloud of CATALOG_CLOUDS) {
    const p = path.join(dir, cloud, 'vms.csv');
    if (fs.existsSync(p)) files.push({ file: `${cloud}/vms.csv`, path: p, origin: 'env' });
  }
  const acc = path.join(dir, 'common', 'accelerators.csv');
  if (fs.existsSync(acc)) files.push({ file: 'common/accelerators.csv', path: acc, origin: 'env' });
  return loadCatalogFiles(files);
}

let current: { catalog: Catalog; signature: string; checkedAt: number } | undefined;
let override: Catalog | undefined;
const RECHECK_MS = 10_000;

function signatureOf(files: CatalogFile[]): string {
  return files
    .map((f) => {
      try {
        const st = fs.statSync(f.path);
        return `${f.path}:${st.size}:${st.mtimeMs}`;
      } catch {
        return `${f.path}:missing`;
      }
    })
    .join('|');
}

/**
 * The catalog, loaded on first call (synchronously: a few tens of ms) and reloaded when a
 * source file changed (checked at most every 10 s). Starts the background hosted-catalog
 * refresh when one is due; never waits for it.
 */
export function getCatalog(): Catalog {
  if (override) return override;
  const now = Date.now();
  if (current && now - current.checkedAt < RECHECK_MS) return current.catalog;
  const files = resolveCatalogFiles();
  const signature = `${process.env.SKYDECK_CATALOG_DIR ?? ''}#${signatureOf(files)}`;
  if (!current || current.signature !== signature) {
    current = { catalog: loadCatalogFiles(files), signature, checkedAt: now };
    if (!process.env.SKYDECK_CATALOG_DIR) scheduleHostedRefresh();
  } else current.checkedAt = now;
  return current.catalog;
}

/** Tests: use this catalog instead of the resolved sources (undefined restores them). */
export function setCatalogOverride(catalog: Catalog | undefined): void {
  override = catalog;
  current = undefined;
}
