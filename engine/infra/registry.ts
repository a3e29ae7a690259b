/**
 * Provider registry. Each provider module is loaded with a dynamic import on first use,
 * so cloud SDKs are never evaluated at extension activation, server start, or for a
 * `local` launch. Providers never import each other.
 */
import { InputError } from '../errors';
import type { Provider } from './provider';

export const PROVIDER_NAMES = ['local', 'ssh', 'kubernetes', 'aws', 'gcp', 'azure'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

const loaders: Record<ProviderName, () => Promise<{ createProvider(): Provider }>> = {
  local: () => import('./local/index'),
  ssh: () => import('./ssh/index'),
  kubernetes: () => import('./kubernetes/index'),
  aws: () => import('./aws/index'),
  gcp: () => import('./gcp/index'),
  azure: () => import('./azure/index'),
};

/** Accepts SkyPilot's spellings: k8s, Kubernetes, AWS, ... */
export function canonicalProviderName(name: string): ProviderName | undefined {
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
    p = loaders[canonical]().then((m) => m.createProvider());
    cache.set(canonical, p);
  }
  return p;
}
