/**
 * cheapestOffers (the cost lens's per-cloud answer, engine/catalog/query.ts) gives what reducing
 * matchOffers(anyPrice, 'perZone') gives, first cheapest winning: for CPU and memory requests
 * (the per-type index), GPUs GCP prices apart from the host (per GPU zone), region and zone pins,
 * instance types, TPUs and region or type filters, on the reference catalogs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CatalogCloud } from '../../../engine/catalog/catalog';
import { cheapestOffers, matchOffers, type CheapestOffers, type Offer, type OfferQuery } from '../../../engine/catalog/query';
import { loadCatalogDir } from '../../../engine/catalog/sources';
import { cmpPrice } from '../../../engine/catalog/catalog';
import { requirePrerequisite } from '../../helpers/prerequisites';
import { REFERENCE_CATALOGS, referenceAvailable } from '../optimizer/helpers';

function byMatching(offers: Offer[]): CheapestOffers {
  const out: CheapestOffers = { regions: new Set() };
  for (const o of offers) {
    if (!Number.isNaN(o.price)) {
      out.regions.add(o.region);
      if (!out.onDemand || cmpPrice(o.price, out.onDemand.price) < 0) out.onDemand = o;
    }
    if (!Number.isNaN(o.spotPrice) && (!out.spot || o.spotPrice < out.spot.spotPrice)) out.spot = o;
  }
  return out;
}

const q = (x: Partial<OfferQuery>): OfferQuery => ({ anyPrice: true, ...x });
const atLeast = (value: number) => ({ value, orMore: true });
const exactly = (value: number) => ({ value, orMore: false });

const QUERIES: Array<[CatalogCloud, OfferQuery]> = [
  ['gcp', q({ cpus: atLeast(4) })],
  ['gcp', q({ cpus: exactly(8), memory: atLeast(32) })],
  ['gcp', q({ cpus: atLeast(2), region: 'us-central1' })],
  ['gcp', q({ cpus: atLeast(2), zone: 'europe-west4-a' })],
  ['gcp', q({ accelerator: { name: 'T4', count: 1 } })],
  ['gcp', q({ accelerator: { name: 'V100', count: 4 }, cpus: atLeast(8) })],
  ['gcp', q({ accelerator: { name: 'A100', count: 8 } })],
  ['gcp', q({ accelerator: { name: 'L4', count: 1 }, region: 'us-east4' })],
  ['gcp', q({ accelerator: { name: 'tpu-v4-8', count: 1 } })],
  ['gcp', q({ instanceType: 'n2-standard-8' })],
  ['gcp', q({ instanceType: 'a2-highgpu-1g', zone: 'us-central1-a' })],
  ['gcp', q({ cpus: atLeast(4), rejectRegion: (r) => (r.startsWith('us-') ? undefined : { field: 'region', message: 'not in the US' }) })],
  ['gcp', q({ cpus: atLeast(4), rejectType: (t) => (t.startsWith('e2-') ? { field: 'instance_type', message: 'no e2' } : undefined) })],
  ['azure', q({ cpus: atLeast(4) })],
  ['azure', q({ accelerator: { name: 'A100', count: 1 } })],
  ['azure', q({ cpus: exactly(2), region: 'eastus' })],
  ['azure', q({ accelerator: { name: 'NoSuchGpu', count: 1 } })],
];

const missing = requirePrerequisite(!referenceAvailable() && `the reference catalogs at ${REFERENCE_CATALOGS}`);

test('cheapestOffers gives what reducing matchOffers gives', { skip: missing }, () => {
  const cat = loadCatalogDir(REFERENCE_CATALOGS);
  let priced = 0;
  for (const [cloud, query] of QUERIES) {
    const got = cheapestOffers(cat, cloud, query);
    const want = byMatching(matchOffers(cat, cloud, query, 'perZone').offers);
    const what = `${cloud} ${JSON.stringify(query)}`;
    assert.deepEqual(got.onDemand, want.onDemand, `on-demand offer, ${what}`);
    assert.deepEqual(got.spot, want.spot, `spot offer, ${what}`);
    assert.deepEqual([...got.regions].sort(), [...want.regions].sort(), `priced regions, ${what}`);
    if (got.onDemand) priced++;
  }
  // Most of the requests above have offers: the comparison is not of empty answers.
  assert.ok(priced >= QUERIES.length - 4, `only ${priced} requests were priced`);
});
