/**
 * The cost lens above each `resources:` block and any_of / ordered item, built from the
 * catalog's data (engine/optimizer/insights.ts). It says only what it knows: prices from a
 * cloud that is not set up here are marked as such, with a lens that leads to setting it up
 * (a launch there would fail); Kubernetes and SSH pools have no catalog price, so they never
 * show "$0"; a service's price is per replica and for its replica range; one site that fails
 * gets its own "unavailable" lens and the others are unaffected.
 */
import type { CodeLens } from 'vscode-languageserver-types';
import type { InfraState, Insights, PriceAt, ResourcesSite, SpecCost } from '../../engine/optimizer/insightTypes';
import type { ResourcesSpec } from '../../engine/task/types';
import { CHECK_INFRA_COMMAND, SHOW_OFFERS_COMMAND } from '../lsp/notifications';
import { sitesOf, type DocumentState } from './documentState';

/** What a cost lens passes to `skydeck.showOffers`; the rows come from the server on click (OFFER_ROWS). */
export interface ShowOffersArgs {
  uri: string;
  title: string;
  candidateIndex?: number;
  numNodes: number;
  replicas?: { min: number; max: number };
  resources: ResourcesSpec;
}

const CLOUD_LABEL: Record<string, string> = { aws: 'AWS', gcp: 'GCP', azure: 'Azure', kubernetes: 'Kubernetes', ssh: 'SSH', local: 'Local' };

export function cloudLabel(cloud: string): string {
  return CLOUD_LABEL[cloud] ?? cloud;
}

export function money(x: number): string {
  return `$${x < 10 ? x.toFixed(2) : x.toFixed(1)}`;
}

/** Whether `infra` ('aws', 'k8s/ctx', ...) is set up; undefined when detection says nothing about it. */
export function isSetUp(states: InfraState[], infra: string): boolean | undefined {
  return states.find((s) => s.infra === infra)?.enabled;
}

/** A task's cost lenses: none until the catalogs are loaded, none when its sites cannot be found. */
export function taskCostLenses(st: DocumentState, insights: Insights | undefined): CodeLens[] {
  if (!st.isTask || !insights) return [];
  let sites;
  try {
    sites = sitesOf(st);
  } catch {
    return [];
  }
  return costLenses(st.uri, sites, insights);
}

export function costLenses(uri: string, sites: ResourcesSite[], insights: Insights): CodeLens[] {
  const out: CodeLens[] = [];
  for (const site of sites) {
    try {
      out.push(...siteLenses(uri, site, insights));
    } catch (e) {
      // One site's failure (a value the catalog cannot read) leaves every other lens in place.
      out.push({ range: site.range, command: { title: `Cost unavailable: ${(e as Error).message}`, command: '' } });
    }
  }
  return out;
}

function siteLenses(uri: string, site: ResourcesSite, insights: Insights): CodeLens[] {
  const spec = site.resources;
  const nodes = Math.max(1, site.numNodes || 1);
  const replicas = site.replicas && (site.replicas.min !== 1 || site.replicas.max !== 1) ? site.replicas : undefined;
  const args: ShowOffersArgs = {
    uri,
    title: `Offers: ${describeSpec(spec)}${nodes > 1 ? ` × ${nodes} nodes` : ''}`,
    candidateIndex: site.candidateIndex,
    numNodes: nodes,
    ...(replicas ? { replicas } : {}),
    resources: spec,
  };
  const offersLens = (title: string, tooltip?: string): CodeLens => ({
    range: site.range,
    command: { title, command: SHOW_OFFERS_COMMAND, arguments: [args], ...(tooltip ? { tooltip } : {}) },
  });
  const setUpLens = (state: InfraState | undefined, what: string): CodeLens => ({
    range: site.range,
    command: {
      title: `Set up ${what}: a launch there fails until then`,
      command: CHECK_INFRA_COMMAND,
      arguments: [],
      tooltip: state?.reason ?? `${what} is not set up.`,
    },
  });
  const states = insights.infraStates();
  const pinned = spec.infra?.cloud;

  if (pinned === 'local') return [offersLens('$0.00/h on local (this machine)')];
  if (pinned === 'kubernetes' || pinned === 'ssh') {
    const prefix = pinned === 'kubernetes' ? 'k8s' : 'ssh';
    const label = `${prefix}${spec.infra?.region ? `/${spec.infra.region}` : ''}`;
    const candidates = states.filter((s) => (spec.infra?.region ? s.infra === label : s.infra.startsWith(`${prefix}/`) || s.infra === pinned));
    const ready = candidates.find((s) => s.enabled);
    if (!ready) {
      const why = candidates[0] ?? states.find((s) => s.infra === pinned);
      return [setUpLens(why, label)];
    }
    const parts = [`${label}: no catalog price (${pinned === 'kubernetes' ? 'your cluster' : 'your machines'})`];
    const free = freeText(spec, insights);
    if (free) parts.push(free);
    return [offersLens(parts.join(' · '), ready.reason)];
  }

  const cost = insights.specCost(spec);
  const clouds = Object.keys(cost.byCloud);
  const ready = clouds.filter((c) => isSetUp(states, c) !== false);
  const pool = ready.length ? ready : clouds;
  const od = cheapest(cost, pool, 'onDemand');
  const spot = cheapest(cost, pool, 'spot');
  if (!od && !spot) return [offersLens('No catalog offer matches these resources')];
  const notSetUp = (c: string) => isSetUp(states, c) === false;
  const showAcc = (spec.accelerators?.length ?? 0) > 1;
  const where = (p: PriceAt) =>
    `${showAcc && p.accelerator ? `${p.accelerator.name}:${p.accelerator.count} on ` : ''}${p.cloud} ${p.region}${notSetUp(p.cloud) ? ', not set up' : ''}`;
  const parts: string[] = [];
  if (od) parts.push(`${priceText(od.price, nodes, replicas)} on-demand (${where(od)})`);
  if (spot)
    parts.push(`${totalText(spot.price, nodes, replicas)} spot${od && od.cloud === spot.cloud && od.region === spot.region ? '' : ` (${where(spot)})`}`);
  if (spec.useSpot && parts.length === 2) parts.reverse();
  parts.push(`${cost.regions} region${cost.regions === 1 ? '' : 's'}`);
  // Cheaper where the user has no credentials yet: worth knowing, marked as such.
  const cheaperElsewhere = ready.length ? cheapest(cost, clouds.filter(notSetUp), 'onDemand') : undefined;
  if (od && cheaperElsewhere && cheaperElsewhere.price < od.price)
    parts.push(`${money(cheaperElsewhere.price * nodes)}/h on ${cheaperElsewhere.cloud} (not set up)`);
  const free = freeText(spec, insights);
  if (free) parts.push(free);
  const lenses = [offersLens(parts.join(' · '))];
  if (!ready.length) {
    const first = (od ?? spot)!.cloud;
    lenses.push(
      setUpLens(
        states.find((s) => s.infra === first),
        cloudLabel(first),
      ),
    );
  }
  return lenses;
}

function cheapest(cost: SpecCost, clouds: string[], kind: 'onDemand' | 'spot'): PriceAt | undefined {
  let best: PriceAt | undefined;
  for (const c of clouds) {
    const p = cost.byCloud[c]?.[kind];
    if (p && (!best || p.price < best.price)) best = p;
  }
  return best;
}

/** One node's price × nodes, per replica and for the replica range of a service. */
function priceText(price: number, nodes: number, replicas?: { min: number; max: number }): string {
  const perReplica = nodes > 1 ? `${nodes}× ${money(price)} = ${money(price * nodes)}/h` : `${money(price)}/h`;
  if (!replicas) return perReplica;
  const each = price * nodes;
  if (replicas.min === replicas.max) return `${perReplica} × ${replicas.min} replicas = ${money(each * replicas.min)}/h`;
  return `${perReplica} per replica, ${money(each * replicas.min)}–${money(each * replicas.max)}/h for ${replicas.min}–${replicas.max} replicas`;
}

function totalText(price: number, nodes: number, replicas?: { min: number; max: number }): string {
  const each = price * nodes;
  if (!replicas) return `${money(each)}/h`;
  if (replicas.min === replicas.max) return `${money(each * replicas.min)}/h`;
  return `${money(each * replicas.min)}–${money(each * replicas.max)}/h`;
}

function freeText(spec: ResourcesSpec, insights: Insights): string | undefined {
  const accs = spec.accelerators ?? [];
  const free = insights.freeGpus();
  if (!accs.length || !free.length) return undefined;
  const names = new Set(accs.map((a) => a.name.toLowerCase()));
  const parts = free.filter((a) => names.has(a.accelerator.toLowerCase())).map((a) => `${a.infra}: ${a.free}/${a.total} ${a.accelerator} free`);
  return parts.length ? parts.join(' · ') : undefined;
}

function describeSpec(spec: ResourcesSpec): string {
  const parts: string[] = [];
  if (spec.accelerators?.length) parts.push(spec.accelerators.map((a) => `${a.name}:${a.count}`).join(' | '));
  if (spec.instanceType) parts.push(spec.instanceType);
  if (spec.cpus) parts.push(`${spec.cpus.value}${spec.cpus.orMore ? '+' : ''} vCPUs`);
  if (spec.memory) parts.push(`${spec.memory.value}${spec.memory.perCpu ? 'x' : spec.memory.orMore ? '+' : ''} GB`);
  if (spec.infra?.cloud) parts.push([spec.infra.cloud, spec.infra.region, spec.infra.zone].filter(Boolean).join('/'));
  if (spec.useSpot) parts.push('spot');
  return parts.length ? parts.join(', ') : 'default CPU instance';
}

/** The offers view's rows (extension/cost/offersView.ts OfferRow) for a clicked lens. */
export function offerViewRows(args: ShowOffersArgs, insights: Insights): Record<string, unknown>[] {
  const nodes = Math.max(1, args.numNodes || 1);
  return insights.offerRows(args.resources, 200).map((r) => {
    const [gpu, gpuCount] = r.accelerators ? Object.entries(r.accelerators)[0] : [undefined, 0];
    return { ...r, vcpus: r.vCPUs ?? undefined, gpu, gpuCount, price: r.onDemand ?? undefined, spotPrice: r.spot ?? undefined, nodes };
  });
}
