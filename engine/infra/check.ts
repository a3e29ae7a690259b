/**
 * `skydeck check`: which infra is enabled and why not. `local` and each SSH node pool from their
 * detection (detection.ts); every other provider through its check() (loaded lazily via the
 * registry; a provider not built yet shows as "not implemented"). The last result is cached
 * in the store so `launch` knows the enabled clouds without loading their SDKs.
 */
import { Collection } from '../state/store';
import { getProvider, PROVIDER_NAMES } from './registry';
import { errorMessage } from '../errors';
import { enabledInfra as detectEnabledInfra, infraAllowed } from './detection';
import { detect as detectLocal } from './local/detect';
import { detect as detectSsh } from './ssh/detect';

export interface InfraCheckRow {
  /** 'local', 'ssh/<pool>', 'aws', 'kubernetes', ... */
  infra: string;
  enabled: boolean;
  reason: string;
}

interface CheckCache {
  checkedAt: number;
  rows: InfraCheckRow[];
}

function checkCache(): Collection<CheckCache> {
  return new Collection<CheckCache>({ name: 'check', initial: () => ({ checkedAt: 0, rows: [] }) });
}

async function providerRow(name: string): Promise<InfraCheckRow> {
  try {
    const p = await getProvider(name);
    const c = await p.check();
    return { infra: name, enabled: c.enabled, reason: c.reason };
  } catch (e) {
    const code = (e as { code?: string }).code;
    return { infra: name, enabled: false, reason: code === 'NOT_IMPLEMENTED' ? 'not implemented' : errorMessage(e) };
  }
}

/** Runs every check (clouds optional: their SDKs load) and caches the result. */
export async function checkInfra(options: { only?: string[] } = {}): Promise<InfraCheckRow[]> {
  const clouds = PROVIDER_NAMES.filter((n) => n !== 'local' && n !== 'ssh').filter((n) => !options.only?.length || options.only.includes(n));
  const rows: InfraCheckRow[] = [...detectLocal(), ...detectSsh()];
  rows.push(...(await Promise.all(clouds.map(providerRow))));
  await checkCache().update((c) => {
    const keep = c.rows.filter((r) => !rows.some((n) => n.infra === r.infra) && !r.infra.startsWith('ssh'));
    c.rows = [...rows, ...keep];
    c.checkedAt = Date.now();
  });
  return rows;
}

/**
 * Infra the optimizer may use now: what the optimizer detects without loading any SDK
 * (local, clouds with credentials, kubeconfig contexts, SSH pools), plus clouds a
 * `skydeck check` found enabled.
 */
export async function enabledInfra(): Promise<string[]> {
  const out = new Set(detectEnabledInfra());
  const cached = (await checkCache().read()).rows;
  for (const r of cached) if (r.enabled && !r.infra.startsWith('ssh') && infraAllowed(r.infra)) out.add(r.infra);
  return [...out];
}
