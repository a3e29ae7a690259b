/**
 * Planning verbs: `launch --dryrun` (the optimizer's plan; called from ./cluster.ts),
 * `show-gpus` (SkyPilot's `gpus list`) and `catalog refresh|status`.
 */
import type { Command } from 'commander';
import { InputError } from '../../errors';
import { CATALOG_CLOUDS, isCatalogCloud } from '../../catalog/catalog';
import { COMMON_GPUS, COMMON_TPUS, listAcceleratorCounts, listAcceleratorOffers, type GpuOfferRow } from '../../catalog/listAccelerators';
import { getCatalog, resolveCatalogFiles } from '../../catalog/sources';
import type { TaskFile } from '../../task/types';
import { liveGpuAvailability, summarizeAvailability } from '../../optimizer/availability';
import { detectInfra, enabledInfra } from '../../infra/detection';
import { optimizeDetailed, cloudLabel } from '../../optimizer/index';
import { proxyRegionLimits } from '../../config/networking';
import { formatPlan, renderTable } from '../../optimizer/planTable';
import type { Candidate } from '../../optimizer/types';
import type { PlanJson, PlanRowJson, ShowGpusJson } from '../../contract/cliJson';

export interface DryRunOptions {
  json?: boolean;
  allInfra?: boolean;
}

/** The `launch --dryrun --json` row (engine/contract/cliJson.ts): exactly these fields, in this order. */
function candidateJson(c: Candidate): PlanRowJson {
  return {
    infra: c.infra,
    cloud: c.cloud,
    region: c.region,
    zone: c.zone ?? null,
    instanceType: c.instanceType,
    accelerators: c.accelerators,
    spot: c.spot,
    nodes: c.nodes,
    pricePerHour: c.pricePerHour,
    costPerHour: c.costPerHour,
  };
}

/**
 * `skydeck launch TASK --dryrun` (the task options already applied): prints the optimizer's plan (table, or --json per the
 * contract in design.md: one `chosen` per task of a pipeline, every task's candidates).
 */
export async function runDryRun(file: TaskFile, options: DryRunOptions): Promise<number> {
  const enabled = options.allInfra ? ['local'] : enabledInfra();
  const planned = file.tasks.map((task) => ({
    name: task.name,
    plan: optimizeDetailed(task, { enabledInfra: enabled, allInfra: options.allInfra, regionLimits: proxyRegionLimits() }),
  }));
  if (options.json) {
    const out: PlanJson = {
      chosen: planned.map((p) => candidateJson(p.plan.chosen)),
      candidates: planned.flatMap((p) => p.plan.candidates.map(candidateJson)),
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  } else {
    process.stdout.write(`${formatPlan(planned)}\n`);
  }
  return 0;
}

// ---------- show-gpus ----------

export interface ShowGpusOptions {
  infra?: string;
  allRegions?: boolean;
  all?: boolean;
  json?: boolean;
}

function money(x: number | null): string {
  return x === null ? '-' : `$ ${x.toFixed(3)}`;
}

function gb(x: number | null): string {
  if (x === null) return '-';
  return `${Number.isInteger(x) ? x : Math.round(x * 10) / 10}GB`;
}

function qty(x: number): string {
  return Number.isInteger(x) ? String(x) : String(x);
}

interface InfraFilter {
  cloud?: string;
  region?: string;
  podsOnly: boolean;
}

function parseInfraFilter(pattern: string | undefined): InfraFilter {
  if (!pattern) return { podsOnly: false };
  const parts = pattern.split('/');
  let cloud = parts[0].toLowerCase();
  if (cloud === 'k8s') cloud = 'kubernetes';
  if (cloud === 'kubernetes' || cloud === 'ssh') return { cloud, region: parts.slice(1).join('/') || undefined, podsOnly: true };
  if (cloud === '*' || cloud === '') return { region: parts[1], podsOnly: false };
  if (!isCatalogCloud(cloud))
    throw new InputError(`Unknown infra '${pattern}' for show-gpus.`, { hint: `Use one of ${CATALOG_CLOUDS.join(', ')}, k8s[/<context>], ssh[/<pool>].` });
  return { cloud, region: parts[1], podsOnly: false };
}

async function showGpus(accelerator: string | undefined, options: ShowGpusOptions): Promise<number> {
  if (options.allRegions && !accelerator)
    throw new InputError('--all-regions is only allowed with an accelerator, e.g. `skydeck show-gpus A100 --all-regions`.');
  let name: string | undefined;
  let count: number | undefined;
  if (accelerator) {
    const [n, c] = accelerator.split(':');
    name = n;
    if (c !== undefined) {
      count = Number(c);
      if (!(count > 0)) throw new InputError(`Invalid accelerator quantity in '${accelerator}': write NAME or NAME:COUNT, e.g. A100:8.`);
    }
  }
  const filter = parseInfraFilter(options.infra);
  const cat = getCatalog();
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const catalogFilter = { name: name ? escape(name) : undefined, count, cloud: filter.cloud, region: filter.region, allRegions: options.allRegions };
  const counts = filter.podsOnly ? [] : listAcceleratorCounts(cat, catalogFilter);
  const offers: GpuOfferRow[] = name && !filter.podsOnly ? listAcceleratorOffers(cat, catalogFilter) : [];
  // Live GPUs on configured Kubernetes contexts / SSH node pools.
  const pods = detectInfra()
    .filter((d) => d.enabled && (d.infra.startsWith('k8s/') || d.infra.startsWith('ssh/')))
    .map((d) => d.infra)
    .filter((i) => !filter.cloud || (filter.cloud === 'kubernetes' ? i.startsWith('k8s/') : filter.cloud === 'ssh' ? i.startsWith('ssh/') : false))
    .filter((i) => !filter.region || i.split('/').slice(1).join('/') === filter.region);
  const nameRe = name ? new RegExp(escape(name), 'i') : undefined;
  const available = (pods.length ? await liveGpuAvailability(pods) : []).filter((a) => !nameRe || nameRe.test(a.accelerator));
  if (options.json) {
    const json: ShowGpusJson & { nodes: typeof available } = {
      accelerators: counts,
      offers,
      available: summarizeAvailability(available),
      nodes: available,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return 0;
  }
  const out: string[] = [];
  if (available.length) {
    for (const [infra, rows] of groupBy(summarizeAvailability(available), (r) => r.infra)) {
      out.push(`${infra.startsWith('ssh/') ? 'SSH node pool' : 'Kubernetes'} GPUs (${infra})`);
      out.push(
        renderTable(
          ['GPU', 'UTILIZATION'],
          rows.map((r) => [r.accelerator, `${r.free} of ${r.total} free`]),
        ),
        '',
      );
      const nodeRows = available.filter((a) => a.infra === infra).map((a) => [a.node, a.accelerator, `${a.free} of ${a.total} free`]);
      out.push(renderTable(['NODE', 'GPU', 'UTILIZATION'], nodeRows), '');
    }
  } else if (filter.podsOnly) {
    out.push(`No GPUs reported by ${options.infra} (no such infra configured, or its provider does not report availability yet).`);
  }
  if (!name) {
    const byName = new Map(counts.map((c) => [c.name, c]));
    const row = (c: { name: string; quantities: number[] }) => [c.name, c.quantities.map(qty).join(', ')];
    const common = COMMON_GPUS.map((n) => byName.get(n)).filter((c): c is NonNullable<typeof c> => !!c);
    const tpuGroups = counts.filter((c) => c.name.startsWith('tpu-'));
    const tpus = COMMON_TPUS.map((n) => tpuGroups.find((t) => t.name === n)).filter((c): c is NonNullable<typeof c> => !!c);
    if (common.length) out.push(renderTable(['COMMON_GPU', 'AVAILABLE_QUANTITIES'], common.map(row)), '');
    if (tpus.length) out.push(renderTable(['GOOGLE_TPU', 'AVAILABLE_QUANTITIES'], tpus.map(row)), '');
    const other = counts.filter((c) => !COMMON_GPUS.includes(c.name) && !COMMON_TPUS.includes(c.name));
    if (options.all && other.length) out.push(renderTable(['OTHER_GPU', 'AVAILABLE_QUANTITIES'], other.map(row)), '');
    else if (other.length) out.push('Hint: use -a/--all to see all accelerators (including non-common ones) and pricing.');
    if (!common.length && !tpus.length && !other.length && !available.length) out.push('No accelerators found.');
  } else if (!filter.podsOnly) {
    if (offers.length === 0) {
      out.push(`Resources '${accelerator}' not found in the catalog${filter.cloud ? ` of ${cloudLabel(filter.cloud)}` : ''}.`);
      const near = listAcceleratorCounts(cat, { cloud: filter.cloud }).filter((c) => c.name.toLowerCase().includes(name!.toLowerCase().slice(0, 3)));
      if (near.length) out.push(`Did you mean: ${near.map((c) => c.name).join(', ')}?`);
      process.stdout.write(`${out.join('\n')}\n`);
      return 1;
    }
    for (const [acc, rows] of groupBy(offers, (r) => r.accelerator)) {
      const header = ['GPU', 'QTY', 'CLOUD', 'INSTANCE_TYPE', 'DEVICE_MEM', 'vCPUs', 'HOST_MEM', 'HOURLY_PRICE', 'HOURLY_SPOT_PRICE'];
      if (!options.all) header.push('REGION');
      const body = rows.map((r) => {
        const cells = [
          acc,
          qty(r.count),
          cloudLabel(r.cloud),
          r.instanceType,
          gb(r.deviceMemoryGb),
          r.vcpus === null ? '-' : String(r.vcpus),
          gb(r.memoryGb),
          money(r.price),
          money(r.spotPrice),
        ];
        if (!options.all) cells.push(r.region);
        return cells;
      });
      out.push(renderTable(header, body), '');
    }
  }
  process.stdout.write(`${out.join('\n').replace(/\n+$/, '')}\n`);
  return 0;
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

// ---------- catalog ----------

async function catalogRefresh(opts: { cloud?: string; hosted?: boolean; auto?: boolean; force?: boolean; regions?: string; json?: boolean }): Promise<number> {
  const clouds = opts.cloud ? [opts.cloud.toLowerCase()] : [...CATALOG_CLOUDS];
  for (const c of clouds) if (!isCatalogCloud(c)) throw new InputError(`Unknown cloud '${c}'.`, { hint: `Catalogs exist for ${CATALOG_CLOUDS.join(', ')}.` });
  if (opts.hosted) {
    const { refreshHosted, HOSTED_FILES } = await import('../../catalog/hosted');
    const files = opts.cloud ? HOSTED_FILES.filter((f) => f.startsWith(`${clouds[0]}/`)) : HOSTED_FILES;
    const results = await refreshHosted({ files, force: opts.force, timeoutMs: opts.auto ? 30_000 : undefined });
    if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    else if (!opts.auto) for (const r of results) process.stdout.write(`${r.file}: ${r.outcome}${r.detail ? ` (${r.detail})` : ''}\n`);
    // Background (--auto) runs never fail loudly: being offline is normal.
    return opts.auto ? 0 : results.some((r) => r.outcome === 'failed') ? 1 : 0;
  }
  const { refreshFromPriceSources } = await import('../../catalog/fetchers/index');
  const regions = opts.regions
    ? opts.regions
        .split(',')
        .map((r) => r.trim())
        .filter(Boolean)
    : undefined;
  const results = await refreshFromPriceSources(clouds as (typeof CATALOG_CLOUDS)[number][], {
    regions,
    onProgress: (m) => {
      if (!opts.json) process.stderr.write(`${m}\n`);
    },
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  else for (const r of results) process.stdout.write(`${r.cloud}: ${r.ok ? `${r.rows} rows written to ${r.path}` : `failed: ${r.error}`}\n`);
  return results.every((r) => r.ok) ? 0 : 1;
}

function catalogStatus(json: boolean): number {
  const cat = getCatalog();
  const rows = resolveCatalogFiles().map((f) => {
    const cloud = f.file.split('/')[0];
    const cc = isCatalogCloud(cloud) ? cat.clouds.get(cloud) : undefined;
    return {
      file: f.file,
      origin: f.origin,
      path: f.path,
      rows: cc ? cc.table.size : null,
      regions: cc ? cc.regions.size : null,
      instanceTypes: cc ? cc.types.size : null,
    };
  });
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else
    process.stdout.write(
      `${renderTable(
        ['FILE', 'SOURCE', 'ROWS', 'REGIONS', 'TYPES', 'PATH'],
        rows.map((r) => [r.file, r.origin, String(r.rows ?? '-'), String(r.regions ?? '-'), String(r.instanceTypes ?? '-'), r.path]),
      )}\n`,
    );
  return 0;
}

/** Registers `show-gpus` and `catalog refresh|status`. */
export function registerPlan(program: Command): void {
  program
    .command('show-gpus')
    .alias('gpus')
    .description('List accelerators, the counts offered, and the cheapest on-demand and spot price per cloud and region.')
    .argument('[accelerator]', 'NAME or NAME:COUNT, e.g. A100 or A100:8 (case-insensitive, matches names containing it)')
    .option('--infra <pattern>', 'cloud[/region], k8s[/<context>] or ssh[/<pool>]')
    .option('--all-regions', 'one row per region instead of the cheapest region per instance type')
    .option('-a, --all', 'show all accelerators, not only the common ones')
    .option('--json', 'machine-readable output')
    .action(async (accelerator: string | undefined, opts: ShowGpusOptions) => {
      process.exitCode = await showGpus(accelerator, opts);
    });

  const catalog = program.command('catalog').description('Instance catalogs: prices and offers used by the optimizer and the editor.');
  catalog
    .command('refresh')
    .description(
      "Rebuild catalogs from the clouds' public price lists (AWS offer files, Azure retail prices, GCP billing catalog with an API key), or --hosted to download SkyPilot's hosted catalog.",
    )
    .option('--cloud <cloud>', `one of ${CATALOG_CLOUDS.join(', ')}`)
    .option('--regions <list>', 'comma-separated regions (default: the main regions of each cloud)')
    .option('--hosted', "download SkyPilot's hosted catalog (what the background refresh does every 7 hours)")
    .option('--force', 'with --hosted: download even if fresh or edited locally')
    .option('--auto', 'background mode: quiet, never fails')
    .option('--json', 'machine-readable output')
    .action(async (opts: { cloud?: string; hosted?: boolean; auto?: boolean; force?: boolean; regions?: string; json?: boolean }) => {
      process.exitCode = await catalogRefresh(opts);
    });
  catalog
    .command('status')
    .description('Where each catalog comes from (SKYDECK_CATALOG_DIR, the cache, or the bundled snapshot) and its size.')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      process.exitCode = catalogStatus(!!opts.json);
    });
}
