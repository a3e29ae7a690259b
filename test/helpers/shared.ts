/**
 * The read-only reference material beside the repo (`../shared`): the real SkyPilot corpus and the
 * reference catalogs. One place resolves it, so a checkout without it fails with a message that says
 * where it was looked for, not with an ENOENT deep inside a test.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** `rel` under SKYDECK_SHARED_DIR (default `../shared` from the repo root); throws when it is missing. */
export function sharedPath(rel: string): string {
  const base = process.env.SKYDECK_SHARED_DIR ?? path.resolve(ROOT, '../shared');
  const p = path.join(base, rel);
  if (!fs.existsSync(p)) {
    throw new Error(`Reference material missing: ${p}. Tests read ../shared (beside the repo); set SKYDECK_SHARED_DIR to its location.`);
  }
  return p;
}

/** The real SkyPilot task files (SKYDECK_CORPUS overrides). */
export const corpusDir = (): string => process.env.SKYDECK_CORPUS ?? sharedPath('corpus/skypilot-examples');

/** Real GCP and Azure catalogs in SkyPilot's layout. */
export const referenceCatalogs = (): string => sharedPath('reference-catalogs');

/** Every `.yaml`/`.yml` file under `dir`, recursively, sorted (the corpus walk tests and benches share). */
export function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yamlFiles(p, out);
    else if (/\.ya?ml$/.test(e.name)) out.push(p);
  }
  return out.sort();
}
