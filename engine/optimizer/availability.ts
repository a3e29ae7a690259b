/**
 * GPUs free right now on Kubernetes contexts and SSH node pools, through the providers'
 * optional ReportsGpuAvailability capability. Providers load lazily (registry) and may not
 * implement it yet: then there is simply nothing to show. Never throws.
 */
import { getProvider } from '../infra/registry';
import type { GpuAvailability, ReportsGpuAvailability } from '../infra/provider';

function reports(p: unknown): p is ReportsGpuAvailability {
  return !!p && typeof (p as ReportsGpuAvailability).gpuAvailability === 'function';
}

/** `infra` entries such as 'k8s/<ctx>' or 'ssh/<pool>'; others are ignored. */
export async function liveGpuAvailability(infra: string[], timeoutMs = 10_000): Promise<GpuAvailability[]> {
  const kinds = new Set<string>();
  for (const i of infra) {
    const head = i.split('/')[0].toLowerCase();
    if (head === 'k8s' || head === 'kubernetes') kinds.add('kubernetes');
    else if (head === 'ssh') kinds.add('ssh');
  }
  const wanted = new Set(infra.map((i) => i.replace(/^kubernetes\//, 'k8s/')));
  const results = await Promise.all(
    [...kinds].map(async (kind) => {
      try {
        const provider = await getProvider(kind);
        if (!reports(provider)) return [];
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<GpuAvailability[]>((resolve) => {
          timer = setTimeout(() => resolve([]), timeoutMs);
          timer.unref?.();
        });
        const rows = await Promise.race([provider.gpuAvailability(), timeout]);
        if (timer) clearTimeout(timer);
        return rows.filter((r) => wanted.has(r.infra) || wanted.has(r.infra.split('/')[0]));
      } catch {
        return [];
      }
    }),
  );
  return results.flat();
}

/** Sums per (infra, accelerator): free and total over nodes. */
export function summarizeAvailability(rows: GpuAvailability[]): { infra: string; accelerator: string; free: number; total: number }[] {
  const m = new Map<string, { infra: string; accelerator: string; free: number; total: number }>();
  for (const r of rows) {
    const k = `${r.infra}|${r.accelerator}`;
    const e = m.get(k) ?? { infra: r.infra, accelerator: r.accelerator, free: 0, total: 0 };
    e.free += r.free < 0 ? 0 : r.free;
    e.total += r.total;
    m.set(k, e);
  }
  return [...m.values()].sort((a, b) => a.infra.localeCompare(b.infra) || a.accelerator.localeCompare(b.accelerator));
}
