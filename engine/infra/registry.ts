/**
 * Provider registry. Each provider module is loaded with a dynamic import on first use,
 * so cloud SDKs are never evaluated at extension activation, server start, or for a
 * `local` launch. Providers never import each other.
 */
import * as path from 'node:path';
import { InputError } from '../errors';
import type { Provider } from './provider';

export const PROVIDER_NAMES = ['local', 'ssh', 'kubernetes', 'aws', 'gcp', 'azure'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

type ProviderModule = { createProvider(): Provider };

/**
 * In the esbuild bundles every provider is its own file (dist/providers/<name>.js, see
 * esbuild.config.mjs), required by path so its SDK is neither in the main bundle nor
 * evaluated before first use.
 */
declare const SKYDECK_BUNDLED: boolean | undefined;
function loadBundled(name: ProviderName): Promise<ProviderModule> {
  const file = path.join(__dirname, 'providers', `${name}.js`);
  return Promise.resolve(require(file) as ProviderModule);
}

/**
 * From source (tests, tsx) the module is required by a computed path too: a literal
 * import() would make esbuild pull every provider (and its SDK, and ssh2's native
 * addon) into whichever bundle imports the registry.
 */
function loadSource(name: ProviderName): Promise<ProviderModule> {
  return Promise.resolve(require(path.join(__dirname, name, 'index')) as ProviderModule);
}

function load(name: ProviderName): Promise<ProviderModule> {
  return typeof SKYDECK_BUNDLED !== 'undefined' && SKYDECK_BUNDLED ? loadBundled(name) : loadSource(name);
}

/** Accepts SkyPilot's spellings: k8s, Kubernetes, AWS, ... */
function canonicalProviderName(name: string): ProviderName | undefined {
  const n = name.toLowerCase();
  if (n === 'k8s') return 'kubernetes';
  return (PROVIDER_NAMES as readonly string[]).includes(n) ? (n as ProviderName) : undefined;
}

const cache = new Map<ProviderName, Promise<Provider>>();

/** Tests (and the cloud test mapping) may replace a provider. */
export function overrideProvider(name: ProviderName, provider: Provider | undefined): void {
  if (provider) cache.set(name, Promise.resolve(provider));
  else cache.delete(name);
}

export function getProvider(name: string): Promise<Provider> {
  const canonical = canonicalProviderName(name);
  if (!canonical) throw new InputError(`Unknown infra '${name}'.`, { hint: `Known infra: ${PROVIDER_NAMES.join(', ')}.` });
  let p = cache.get(canonical);
  if (!p) {
    p = load(canonical).then((m) => m.createProvider());
    // A failed load (e.g. a bundle being rebuilt) must not stay cached in a long-lived controller.
    p.catch(() => {
      if (cache.get(canonical) === p) cache.delete(canonical);
    });
    cache.set(canonical, p);
  }
  return p;
}
