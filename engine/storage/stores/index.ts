/**
 * Store registry: StoreKind -> the module that implements it, required by path on first use
 * (as engine/infra/registry.ts does for providers), so no storage SDK is in, or evaluated by,
 * the server's, the extension's or the CLI's bundle. Each store module exports
 * `createStore(kind): ObjectStore`; R2 is S3's module with Cloudflare's endpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InputError } from '../../errors';
import type { ObjectStore, StoreKind } from './types';

export const STORE_KINDS: readonly StoreKind[] = ['s3', 'gcs', 'azure', 'r2'];

/** The module file (without extension) implementing each store. */
const MODULE_OF: Record<StoreKind, string> = { s3: 's3', r2: 's3', gcs: 'gcs', azure: 'azure' };

type StoreModule = { createStore(kind: StoreKind): ObjectStore };

declare const SKYDECK_BUNDLED: boolean | undefined;

/** dist/stores/<module>.js when bundled (esbuild.config.mjs), ./<module>.ts from source. */
function modulePath(name: string): string | undefined {
  const bundled = typeof SKYDECK_BUNDLED !== 'undefined' && SKYDECK_BUNDLED;
  const candidates = bundled ? [path.join(__dirname, 'stores', `${name}.js`)] : [path.join(__dirname, `${name}.ts`), path.join(__dirname, `${name}.js`)];
  return candidates.find((p) => fs.existsSync(p));
}

const cache = new Map<StoreKind, ObjectStore>();

/** Tests may replace a store (e.g. to count calls); undefined restores the real one. */
export function overrideStore(kind: StoreKind, store: ObjectStore | undefined): void {
  if (store) cache.set(kind, store);
  else cache.delete(kind);
}

export function isStoreKind(value: string): value is StoreKind {
  return (STORE_KINDS as readonly string[]).includes(value);
}

export function getStore(kind: StoreKind): ObjectStore {
  const cached = cache.get(kind);
  if (cached) return cached;
  const file = modulePath(MODULE_OF[kind]);
  if (!file) throw new InputError(`The ${kind} store is not available in this build of SkyDeck.`, { hint: 'Use s3 or r2, or a build that includes it.' });
  const mod = require(file) as Partial<StoreModule>;
  if (typeof mod.createStore !== 'function') throw new InputError(`The ${kind} store module (${file}) does not export createStore().`);
  const store = mod.createStore(kind);
  cache.set(kind, store);
  return store;
}
