/** Where catalog files live on disk (no loading here, so every catalog module can import it). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { skydeckHome } from '../util/paths';

export const CATALOG_SCHEMA_VERSION = 'v8';

export type CatalogOrigin = 'env' | 'cache' | 'bundled';

export interface CatalogFile {
  file: string; // e.g. 'gcp/vms.csv'
  path: string;
  origin: CatalogOrigin;
}

/** The bundled snapshot folder: <package root>/catalogs (found from source files and bundles alike). */
export function bundledCatalogDir(): string | undefined {
  let dir = __dirname;
  for (;;) {
    const candidate = path.join(dir, 'catalogs');
    if (fs.existsSync(path.join(candidate, 'README.md')) && fs.existsSync(path.join(dir, 'package.json'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** SKYDECK_HOME/catalogs/v8: the cached hosted catalog and `catalog refresh` output. */
export function cacheCatalogDir(): string {
  return path.join(skydeckHome(), 'catalogs', CATALOG_SCHEMA_VERSION);
}

/**
 * `file` (e.g. 'aws/vms.csv') from the first source that has it: SKYDECK_CATALOG_DIR alone
 * when set, else the cache, else the bundled snapshot. `fallThrough` lets a file missing
 * from SKYDECK_CATALOG_DIR come from the cache or the snapshot instead.
 */
export function firstExisting(file: string, options: { fallThrough?: boolean } = {}): CatalogFile | undefined {
  const envDir = process.env.SKYDECK_CATALOG_DIR;
  if (envDir) {
    const p = path.join(envDir, file);
    if (fs.existsSync(p)) return { file, path: p, origin: 'env' };
    if (!options.fallThrough) return undefined;
  }
  const cached = path.join(cacheCatalogDir(), file);
  if (fs.existsSync(cached)) return { file, path: cached, origin: 'cache' };
  const bundled = bundledCatalogDir();
  if (bundled && fs.existsSync(path.join(bundled, file))) return { file, path: path.join(bundled, file), origin: 'bundled' };
  return undefined;
}
