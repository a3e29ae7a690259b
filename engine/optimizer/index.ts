/**
 * The optimizer (SkyPilot's sky/optimizer.py, section 3 of the reference): expand the
 * task's resources into requests (any_of / ordered / accelerator sets), find feasible
 * offers on every usable infra, keep only the cheapest instance type per cloud, expand it
 * into one candidate per region (on-demand) or per zone (spot, and always on GCP), drop
 * what the blocklist rules out, cost = price x nodes, and choose the cheapest (for
 * `ordered`: the first alternative that has any candidate).
 */
import { ResourcesUnavailableError } from '../errors';
import { canonicalizeAccelerator } from '../catalog/accelerators';
import { CATALOG_CLOUDS, cmpAscii, type Catalog, type CatalogCloud, isCatalogCloud } from '../catalog/catalog';
import { gpusWithMemory } from '../catalog/gpuMetadata';
import { matchOffers, offerPrice, type NoOfferReason, type Offer } from '../catalog/query';
import { getCatalog } from '../catalog/sources';
import type { AcceleratorRequest, ResourcesSpec, Task } from '../task/types';
import { queryFilters, rejectInfra } from './constraints';
import { localCandidate, podCandidate } from './nonCatalog';
import type { Candidate, OptimizeOptions, Plan } from './types';

export type { Candidate, OptimizeOptions, Plan } from './types';

/** One concrete thing to plan: an alternative of `resources` with at most one accelerator. */
export interface PlanRequest {
  spec: ResourcesSpec;
  accelerator?: { name: string; count: number };
  /** Index into any_of / ordered. */
  resourcesIndex?: number;
  /** Preference rank: 0 for sets (all compete on cost), list position for ordered forms. */
  rank: number;
}

type Target = { kind: 'local' } | { kind: 'catalog'; cloud: CatalogCloud } | { kind: 'pod'; cloud: 'kubernetes' | 'ssh'; region: string };

const CLOUD_LABEL: Record<string, string> = { aws: 'AWS', gcp: 'GCP', azure: 'Azure', kubernetes: 'Kubernetes', ssh: 'SSH', local: 'Local' };

export function cloudLabel(cloud: string): string {
  return CLOUD_LABEL[cloud] ?? cloud;
}

function expandAccelerators(cat: Catalog, acc: AcceleratorRequest, cloud?: string): { name: string; count: number }[] {
  if (acc.memory) {
    const names = gpusWithMemory(acc.memory.gb, acc.memory.orMore, acc.memory.manufacturer);
    return names.map((name) => ({ name, count: acc.count }));
  }
  return [{ name: canonicalizeAccelerator(cat, acc.name, cloud && isCatalogCloud(cloud) ? cloud : undefined), count: acc.count }];
}

/** any_of / ordered / accelerator sets and lists -> concrete requests. */
export function expandRequests(task: Task, catalog: Catalog | (() => Catalog) = getCatalog): PlanRequest[] {
  // Loaded only when an accelerator name needs canonicalizing (local CPU tasks never load it).
  let loaded: Catalog | undefined;
  const cat = () => (loaded ??= typeof catalog === 'function' ? catalog() : catalog);
  const choice = task.resources;
  const specs = choice.candidates.length ? choice.candidates : [choice.base];
  const out: PlanRequest[] = [];
  specs.forEach((spec, i) => {
    const resourcesIndex = choice.mode === 'single' ? undefined : i;
    const baseRank = choice.mode === 'ordered' ? i : 0;
    const accs = spec.accelerators ?? [];
    if (accs.length === 0) {
      out.push({ spec, resourcesIndex, rank: baseRank });
      return;
    }
    const expanded = accs.flatMap((a) => expandAccelerators(cat(), a, spec.infra?.cloud));
    expanded.forEach((accelerator, k) => {
      // A list of accelerators is an ordered preference; a set competes on cost.
      const rank = choice.mode === 'ordered' ? baseRank : spec.acceleratorsOrdered ? k : 0;
      out.push({ spec, accelerator, resourcesIndex, rank });
    });
  });
  return out;
}

function parseEnabled(list: string[]): Target[] {
  const out: Target[] = [];
  for (const raw of list) {
    const [head, ...rest] = raw.split('/');
    const cloud = head.toLowerCase();
    if (cloud === 'local') out.push({ kind: 'local' });
    else if (cloud === 'k8s' || cloud === 'kubernetes') out.push({ kind: 'pod', cloud: 'kubernetes', region: rest.join('/') || 'default' });
    else if (cloud === 'ssh') {
      if (rest[0]) out.push({ kind: 'pod', cloud: 'ssh', region: rest[0] });
    } else if (isCatalogCloud(cloud)) out.push({ kind: 'catalog', cloud });
  }
  return out;
}

function targetCloud(t: Target): string {
  return t.kind === 'local' ? 'local' : t.cloud;
}

interface BlockEntry {
  cloud: string;
  region?: string;
  zone?: string;
}

function parseBlocked(list: string[] | undefined): BlockEntry[] {
  return (list ?? []).map((s) => {
    const parts = s.split('/');
    let cloud = parts[0].toLowerCase();
    if (cloud === 'k8s') cloud = 'kubernetes';
    if (cloud === 'kubernetes') return { cloud, region: parts.slice(1).join('/') || undefined };
    return { cloud, region: parts[1] || undefined, zone: parts[2] || undefined };
  });
}

/** Applies the blocklist; on-demand region candidates lose blocked zones and vanish when none is left. */
function applyBlocklist(c: Candidate, blocked: BlockEntry[]): Candidate | undefined {
  let zones = c.zones;
  for (const b of blocked) {
    if (b.cloud !== c.cloud) continue;
    if (b.region && b.region !== c.region) continue;
    if (!b.zone) return undefined;
    if (c.zone) {
      if (c.zone === b.zone) return undefined;
    } else if (zones) {
      zones = zones.filter((z) => z !== b.zone);
      if (zones.length === 0) return undefined;
    }
  }
  return zones === c.zones ? c : { ...c, zones };
}

interface CloudOutcome {
  cloud: string;
  candidates: Candidate[];
  reason?: NoOfferReason | string;
  /** Other instance types that also fit (for the "Multiple ... instances satisfy" note). */
  alsoFits?: string[];
}

function catalogCandidates(cat: Catalog, cloud: CatalogCloud, req: PlanRequest, nodes: number): CloudOutcome {
  const spec = req.spec;
  const spot = !!spec.useSpot;
  const res = matchOffers(
    cat,
    cloud,
    {
      accelerator: req.accelerator,
      instanceType: spec.instanceType,
      cpus: spec.cpus,
      memory: spec.memory,
      region: spec.infra?.region,
      zone: spec.infra?.zone,
      useSpot: spot,
      maxHourlyCost: spec.maxHourlyCost,
      ...queryFilters(spec, cloud),
    },
    'global',
    true,
  );
  if (res.offers.length === 0) return { cloud, candidates: [], reason: res.reason };
  const sorted = [...res.offers].sort(
    (a, b) => offerPrice(a, spot) - offerPrice(b, spot) || cmpAscii(a.region, b.region) || cmpAscii(a.zone ?? '', b.zone ?? ''),
  );
  const best = sorted[0].instanceType;
  const types = res.fittingTypes ?? [...new Set(sorted.map((o) => o.instanceType))];
  const keep = sorted.filter((o) => o.instanceType === best);
  const byZone = cloud === 'gcp' || spot;
  const candidates: Candidate[] = [];
  const make = (o: Offer, price: number, zones?: string[]): Candidate => ({
    infra: byZone && o.zone ? `${cloud}/${o.region}/${o.zone}` : `${cloud}/${o.region}`,
    cloud,
    region: o.region,
    zone: byZone ? o.zone : undefined,
    zones,
    instanceType: o.instanceType,
    accelerators: o.accelerator ? { [o.accelerator.name]: o.accelerator.count } : null,
    spot,
    nodes,
    pricePerHour: round6(price),
    costPerHour: round6(price * nodes),
    cpus: Number.isNaN(o.vcpus) ? undefined : o.vcpus,
    memoryGb: Number.isNaN(o.memoryGb) ? undefined : o.memoryGb,
    resourcesIndex: req.resourcesIndex,
  });
  if (byZone) {
    for (const o of keep) candidates.push(make(o, offerPrice(o, spot), o.zone ? [o.zone] : undefined));
  } else {
    const regions = new Map<string, Offer[]>();
    for (const o of keep) {
      let list = regions.get(o.region);
      if (!list) regions.set(o.region, (list = []));
      list.push(o);
    }
    for (const list of regions.values()) {
      const zones = list.filter((o) => o.zone).map((o) => o.zone!);
      candidates.push(make(list[0], offerPrice(list[0], spot), zones.length ? zones : undefined));
    }
  }
  return { cloud, candidates, alsoFits: types.length > 1 ? types : undefined };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** 'A100:8', 'cpus=8+', ... as SkyPilot prints a request: `2x GCP({'A100': 8})`. */
export function describeRequest(req: PlanRequest, nodes: number): string {
  const spec = req.spec;
  const cloud = spec.infra?.cloud ? cloudLabel(spec.infra.cloud) : '';
  const parts: string[] = [];
  if (req.accelerator) parts.push(`{'${req.accelerator.name}': ${req.accelerator.count}}`);
  if (spec.instanceType) parts.push(spec.instanceType);
  if (spec.cpus) parts.push(`cpus=${spec.cpus.value}${spec.cpus.orMore ? '+' : ''}`);
  if (spec.memory) parts.push(`mem=${spec.memory.value}${spec.memory.perCpu ? 'x' : spec.memory.orMore ? '+' : ''}`);
  if (spec.useSpot) parts.push('[Spot]');
  if (spec.infra?.region) parts.push(`region=${spec.infra.region}`);
  if (spec.infra?.zone) parts.push(`zone=${spec.infra.zone}`);
  if (spec.maxHourlyCost !== undefined) parts.push(`max_hourly_cost=${spec.maxHourlyCost}`);
  return `${nodes}x ${cloud}(${parts.join(', ')})`;
}

export function explainReason(cloud: string, reason: NoOfferReason | string | undefined): string {
  const label = cloudLabel(cloud);
  if (!reason) return `${label}: no offer.`;
  if (typeof reason === 'string') return `${label}: ${reason}.`;
  switch (reason.kind) {
    case 'no-catalog':
      return `${label}: no catalog is available.`;
    case 'unknown-instance-type':
      return `${label}: instance type ${reason.instanceType} is not in the catalog${reason.closest.length ? ` (similar: ${reason.closest.join(', ')})` : ''}.`;
    case 'accelerator-not-offered':
      return `${label}: ${reason.accelerator}:${reason.count} is not offered${reason.offered.length ? `; offered: ${reason.offered.slice(0, 8).join(', ')}` : ''}.`;
    case 'mismatch':
      return `${label}: ${reason.message}`;
    case 'cpus-memory':
      return `${label}: no instance type matches the cpus/memory request (add '+' to cpus or memory to allow larger ones).`;
    case 'location':
      return `${label}: not offered in ${[reason.region, reason.zone].filter(Boolean).join('/') || 'the pinned location'}.`;
    case 'no-price':
      return `${label}: the catalog has no ${reason.spot ? 'spot' : 'on-demand'} price for it.`;
    case 'price-cap':
      return `${label}: the cheapest offer costs $${reason.cheapest.toFixed(3)}/h, above max_hourly_cost.`;
    case 'constraint':
      return `${label}: removed by ${reason.field}: ${reason.message}.`;
  }
}

export interface DetailedPlan extends Plan {
  /** Informational lines for the plan table ("Multiple AWS instances satisfy A100:8 ..."). */
  notes: string[];
  requests: PlanRequest[];
}

/** Targets a request may use, honouring its pinned infra; throws when the pinned infra is not enabled. */
function targetsFor(req: PlanRequest, enabled: Target[], allInfra: boolean): Target[] {
  const infra = req.spec.infra;
  const cloud = infra?.cloud;
  if (!cloud || cloud === '*') {
    let ts = allInfra ? CATALOG_CLOUDS.map((c): Target => ({ kind: 'catalog', cloud: c })) : enabled;
    // A region or zone without a cloud only makes sense on a catalog cloud.
    if (infra?.region || infra?.zone) ts = ts.filter((t) => t.kind === 'catalog');
    return ts;
  }
  if (cloud === 'local') return [{ kind: 'local' }];
  if (cloud === 'kubernetes' || cloud === 'ssh') {
    const pods = enabled.filter((t): t is Extract<Target, { kind: 'pod' }> => t.kind === 'pod' && t.cloud === cloud);
    if (infra?.region) {
      const match = pods.filter((t) => t.region === infra.region);
      if (match.length || allInfra) return match.length ? match : [{ kind: 'pod', cloud, region: infra.region }];
      throw notEnabled(`${cloud === 'ssh' ? 'ssh' : 'k8s'}/${infra.region}`, cloud);
    }
    if (pods.length === 0) throw notEnabled(cloud === 'ssh' ? 'ssh' : 'k8s', cloud);
    return pods;
  }
  if (isCatalogCloud(cloud)) {
    if (allInfra || enabled.some((t) => t.kind === 'catalog' && t.cloud === cloud)) return [{ kind: 'catalog', cloud }];
    throw notEnabled(cloud, cloud);
  }
  throw new ResourcesUnavailableError(`SkyDeck cannot plan on '${cloud}': it has no catalog or provider for it.`, [], {
    hint: 'Use aws, gcp, azure, k8s/<context>, ssh/<pool> or local.',
  });
}

function notEnabled(infra: string, cloud: string): ResourcesUnavailableError {
  return new ResourcesUnavailableError(`Task requires ${cloudLabel(cloud)} (${infra}) which is not enabled.`, [], {
    hint: `To enable access, set up its credentials and run: skydeck check${cloud === 'local' ? '' : ` ${cloud === 'kubernetes' ? 'k8s' : cloud}`}. To plan anyway, use --all-infra.`,
  });
}

/** Plans one task; see the module comment. Throws ResourcesUnavailableError when nothing fits. */
export function optimizeDetailed(task: Task, options: OptimizeOptions, catalog?: Catalog): DetailedPlan {
  const nodes = Math.max(1, task.numNodes || 1);
  let loaded = catalog;
  const lazyCat = () => (loaded ??= getCatalog());
  const requests = expandRequests(task, lazyCat);
  const enabled = parseEnabled(options.enabledInfra);
  if (!enabled.some((t) => t.kind === 'local') && !options.allInfra) enabled.unshift({ kind: 'local' });
  const blocked = parseBlocked(options.blocked);
  const all: (Candidate & { rank: number })[] = [];
  const outcomes: { req: PlanRequest; outcome: CloudOutcome }[] = [];
  const notes: string[] = [];
  let targetError: unknown;
  for (const req of requests) {
    let targets: Target[];
    try {
      targets = targetsFor(req, enabled, !!options.allInfra);
    } catch (e) {
      targetError ??= e;
      continue;
    }
    for (const t of targets) {
      let outcome: CloudOutcome;
      const rejected = rejectInfra(req.spec, targetCloud(t), t.kind === 'pod' ? t.region : undefined);
      if (rejected) outcome = { cloud: targetCloud(t), candidates: [], reason: { kind: 'constraint', ...rejected } };
      else if (t.kind === 'catalog') outcome = catalogCandidates(lazyCat(), t.cloud, req, nodes);
      else {
        const c =
          t.kind === 'local'
            ? localCandidate({ spec: req.spec, accelerator: req.accelerator, nodes })
            : podCandidate(t.cloud, t.region, { spec: req.spec, accelerator: req.accelerator, nodes });
        outcome =
          typeof c === 'object'
            ? { cloud: targetCloud(t), candidates: [{ ...c, resourcesIndex: req.resourcesIndex }] }
            : { cloud: targetCloud(t), candidates: [], reason: c };
      }
      const limit = options.regionLimits?.[outcome.cloud];
      if (limit && outcome.candidates.length) {
        outcome.candidates = outcome.candidates.filter((c) => c.region !== undefined && limit.regions.includes(c.region));
        if (outcome.candidates.length === 0) outcome.reason = `no candidate in the regions ${limit.why} lists (${limit.regions.join(', ') || 'none'})`;
      }
      const before = outcome.candidates.length;
      outcome.candidates = outcome.candidates.map((c) => applyBlocklist(c, blocked)).filter((c): c is Candidate => !!c);
      if (before > 0 && outcome.candidates.length === 0) outcome.reason = 'every candidate is blocked (earlier provisioning failures)';
      outcomes.push({ req, outcome });
      if (outcome.alsoFits && outcome.candidates.length && req.accelerator) {
        const what = `${req.accelerator.name}:${req.accelerator.count}`;
        const c = outcome.candidates[0];
        const among = outcome.alsoFits.length > 6 ? `${outcome.alsoFits.slice(0, 6).join(', ')}, ...` : outcome.alsoFits.join(', ');
        notes.push(`Multiple ${cloudLabel(outcome.cloud)} instances satisfy ${what}. The cheapest (${c.instanceType}) is considered among: ${among}.`);
      }
      for (const c of outcome.candidates) all.push({ ...c, rank: req.rank });
    }
  }
  if (all.length === 0) {
    if (targetError && outcomes.length === 0) throw targetError;
    throw noResourcesError(requests, outcomes, nodes);
  }
  // Say what the resources constraints removed (the plan table shows only what is left).
  const removed = new Set<string>();
  for (const { outcome } of outcomes) {
    const r = outcome.reason;
    if (r && typeof r === 'object' && r.kind === 'constraint') removed.add(`Not considered: ${cloudLabel(outcome.cloud)}: ${r.message} (${r.field}).`);
  }
  notes.push(...removed);
  if (requests.some((r) => r.spec.diskTier?.toLowerCase() === 'ultra')) {
    // SkyPilot's warning: the plan's prices are compute only.
    notes.push('disk_tier: ultra uses the fastest disks (AWS io2 Block Express, GCP extreme persistent disk): expect about $2/h more than the costs below.');
  }
  const order = all.map((c, i) => ({ c, i }));
  order.sort((a, b) => a.c.rank - b.c.rank || a.c.costPerHour - b.c.costPerHour || a.i - b.i);
  const candidates = order.map(({ c }) => {
    const { rank: _rank, ...rest } = c;
    return rest as Candidate;
  });
  if (requests.some((r) => r.rank > 0) && (task.resources.mode === 'ordered' || requests.some((r) => r.spec.acceleratorsOrdered))) {
    const list = requests
      .map((r) => (r.accelerator ? `${r.accelerator.name}:${r.accelerator.count}` : (r.spec.instanceType ?? describeRequest(r, nodes))))
      .join(', ');
    notes.unshift(`Using user-specified accelerators list (will be tried in the listed order): ${list}`);
  }
  return { chosen: candidates[0], candidates, notes, requests };
}

export function optimize(task: Task, options: OptimizeOptions): Plan {
  const { chosen, candidates } = optimizeDetailed(task, options);
  return { chosen, candidates };
}

function noResourcesError(requests: PlanRequest[], outcomes: { req: PlanRequest; outcome: CloudOutcome }[], nodes: number): ResourcesUnavailableError {
  const req = requests[0];
  const tried = [...new Set(outcomes.map((o) => cloudLabel(o.outcome.cloud)))];
  const reasons = [...new Set(outcomes.map((o) => explainReason(o.outcome.cloud, o.outcome.reason)))];
  const offered = new Set<string>();
  for (const o of outcomes) {
    const r = o.outcome.reason;
    if (r && typeof r === 'object' && r.kind === 'accelerator-not-offered')
      for (const a of r.offered.slice(0, 6)) offered.add(`${cloudLabel(o.outcome.cloud)}:${a}`);
  }
  const what = requests.map((r) => describeRequest(r, nodes)).join(' or ');
  const lines = [`Catalog does not contain any instances satisfying the request: ${what} on [${tried.join(', ')}].`, ...reasons.map((r) => `  - ${r}`)];
  const hints = ['To fix: relax or change the resource requirements.'];
  if (offered.size) hints.push(`Try one of these offered accelerators: [${[...offered].join(', ')}]`);
  if (!outcomes.some((o) => isCatalogCloud(o.outcome.cloud))) {
    hints.push('No cloud with a catalog is enabled (AWS, GCP and Azure need credentials): see `skydeck check`, or plan anyway with --all-infra.');
  }
  if (req?.accelerator) hints.push(`Hint: skydeck show-gpus ${req.accelerator.name} to list offers; skydeck check to see which infra is enabled.`);
  else hints.push('Hint: skydeck check to see which infra is enabled; --all-infra plans as if every cloud had credentials.');
  return new ResourcesUnavailableError(lines.join('\n'), [], { hint: hints.join('\n') });
}
