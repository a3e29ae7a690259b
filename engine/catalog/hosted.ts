/**
 * The cached copy of SkyPilot's hosted catalog (SKYDECK_HOME/catalogs/v8), kept fresh the
 * way SkyPilot does it (sky/catalog/common.py read_catalog): a file older than 7 hours is
 * downloaded again unless the user edited it (its md5 no longer matches the one recorded
 * at download in .meta/<file>.md5); a failed download keeps the cached file. Writes are
 * atomic (temp file + rename).
 *
 * The editor and the CLI never wait for it: `scheduleHostedRefresh` starts a detached
 * `skydeck catalog refresh --hosted --auto` at most once an hour and returns at once; with
 * no network that process fails quietly and the cache (or the bundled snapshot) is used.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnDetachedCli } from '../util/detached';
import { cacheCatalogDir, CATALOG_SCHEMA_VERSION } from './locations';

const HOSTED_CATALOG_URL = 'https://raw.githubusercontent.com/skypilot-org/skypilot-catalog/master/catalogs';
const HOSTED_CATALOG_MIRROR_URL = 'https://skypilot-catalog.s3.us-east-1.amazonaws.com/catalogs';
const PULL_FREQUENCY_HOURS = 7;
/** Do not start another background attempt within this window (offline machines). */
const ATTEMPT_INTERVAL_MS = 60 * 60 * 1000;

/** What SkyPilot reads from the hosted catalog: prices, accelerator names, and the image tags VMs boot (engine/vmShared/images.ts). */
export const HOSTED_FILES = ['aws/vms.csv', 'gcp/vms.csv', 'azure/vms.csv', 'common/accelerators.csv', 'aws/images.csv', 'gcp/images.csv', 'azure/images.csv'];

export type FetchLike = (
  url: string,
  init?: { headers?: Record<string, string>; signal?: AbortSignal },
) => Promise<{ status: number; ok: boolean; text(): Promise<string> }>;

export interface HostedRefreshOptions {
  /** Files to consider (default HOSTED_FILES); `--cloud X` narrows this. */
  files?: string[];
  /** Download even if fresh or edited by the user. */
  force?: boolean;
  /** Base URL of the versioned catalog folder parent (tests point it at a loopback server). */
  baseUrl?: string;
  mirrorUrl?: string;
  fetch?: FetchLike;
  timeoutMs?: number;
  now?: number;
}

export type HostedFileOutcome = 'updated' | 'fresh' | 'user-modified' | 'failed' | 'not-found';

export interface HostedFileResult {
  file: string;
  outcome: HostedFileOutcome;
  detail?: string;
}

function metaPath(file: string): string {
  return path.join(cacheCatalogDir(), '.meta', `${file}.md5`);
}

function md5(text: string | Buffer): string {
  return createHash('md5').update(text).digest('hex');
}

/** SkyPilot's rule: a cached file without a recorded md5, or with a different one, was edited by the user. */
export function isUserModified(file: string): boolean {
  const p = path.join(cacheCatalogDir(), file);
  if (!fs.existsSync(p)) return false;
  try {
    return fs.readFileSync(metaPath(file), 'utf8').trim() !== md5(fs.readFileSync(p));
  } catch {
    return true;
  }
}

export function needsUpdate(file: string, now = Date.now()): boolean {
  const p = path.join(cacheCatalogDir(), file);
  if (!fs.existsSync(p)) return true;
  if (isUserModified(file)) return false;
  return fs.statSync(p).mtimeMs + PULL_FREQUENCY_HOURS * 3600_000 < now;
}

function writeAtomic(p: string, text: string): void {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  const tmp = `${p}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, p);
}

/** Downloads the due files now. Never throws for network trouble: the result says what happened. */
export async function refreshHosted(options: HostedRefreshOptions = {}): Promise<HostedFileResult[]> {
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const base = options.baseUrl ?? process.env.SKYDECK_HOSTED_CATALOG_URL ?? HOSTED_CATALOG_URL;
  const mirror = options.mirrorUrl ?? (options.baseUrl || process.env.SKYDECK_HOSTED_CATALOG_URL ? undefined : HOSTED_CATALOG_MIRROR_URL);
  const results: HostedFileResult[] = [];
  for (const file of options.files ?? HOSTED_FILES) {
    if (!options.force) {
      if (isUserModified(file)) {
        results.push({ file, outcome: 'user-modified', detail: 'edited locally; not overwritten (use --force)' });
        continue;
      }
      if (!needsUpdate(file, options.now)) {
        results.push({ file, outcome: 'fresh' });
        continue;
      }
    }
    const get = async (root: string) => {
      const signal = AbortSignal.timeout(options.timeoutMs ?? 60_000);
      return fetchImpl(`${root}/${CATALOG_SCHEMA_VERSION}/${file}`, { headers: { 'User-Agent': 'SkyDeck (SkyPilot catalog client)' }, signal });
    };
    const target = path.join(cacheCatalogDir(), file);
    try {
      let res = await get(base);
      // GitHub rate-limits raw downloads (HTTP 429): SkyPilot then uses its S3 mirror.
      if (res.status === 429 && mirror) res = await get(mirror);
      if (res.status === 404) {
        results.push({ file, outcome: 'not-found' });
        continue;
      }
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const text = await res.text();
      if (!text.includes(',')) throw new Error('response is not a CSV file');
      writeAtomic(target, text);
      writeAtomic(metaPath(file), md5(text));
      results.push({ file, outcome: 'updated' });
    } catch (err) {
      // Offline or failing: keep the cached copy, and touch it so we retry in 7 hours (as SkyPilot does).
      if (fs.existsSync(target)) {
        const now = new Date();
        try {
          fs.utimesSync(target, now, now);
        } catch {
          /* read-only cache: nothing to do */
        }
      }
      results.push({ file, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) });
    }
  }
  return results;
}

function autoRefreshDisabled(): boolean {
  const v = process.env.SKYDECK_CATALOG_AUTO_REFRESH;
  if (v !== undefined) return v === '0' || v.toLowerCase() === 'false';
  // Tests and CI never reach for the network on their own (pin catalogs there, or run `catalog refresh`).
  return !!process.env.SKYDECK_TEST || process.env.NODE_ENV === 'test' || !!process.env.CI;
}

/**
 * Starts a detached background refresh when a hosted file is due and no attempt was made in
 * the last hour. Returns immediately; any error is swallowed (the catalog in use stays).
 */
export function scheduleHostedRefresh(now = Date.now()): boolean {
  if (autoRefreshDisabled()) return false;
  try {
    if (!HOSTED_FILES.some((f) => needsUpdate(f, now))) return false;
    const marker = path.join(cacheCatalogDir(), '.meta', 'last-attempt');
    if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs + ATTEMPT_INTERVAL_MS > now) return false;
    writeAtomic(marker, new Date(now).toISOString());
    spawnDetachedCli(['catalog', 'refresh', '--hosted', '--auto'], path.join(cacheCatalogDir(), '.meta', 'refresh.log'));
    return true;
  } catch {
    return false;
  }
}
