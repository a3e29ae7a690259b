/**
 * Rules SkyPilot applies to each resources candidate when it builds the Resources
 * (sky/resources.py: TPUs only on GCP or Kubernetes, a TPU VM takes no instance type,
 * ephemeral_storage only on Kubernetes) and the checks `sky serve up` / `sky jobs pool apply`
 * make before launching (sky/serve/serve_utils.py validate_service_task).
 */
import type { CandidateView } from '../candidates';
import type { SchemaProblem } from '../schema/validator';
import { parseAccelerators } from '../values';
import { entryOf, isNullNode, toPlain, type VEntry, type VMap } from '../yamlTree';

type Err = (node: { start: number; end: number }, message: string, code: string, severity?: 'error' | 'warning') => SchemaProblem;

/** Kubernetes and SSH node pools (SkyPilot's SSH cloud is a Kubernetes). */
const KUBERNETES_LIKE = ['kubernetes', 'ssh'];
/** SkyPilot asks `cloud.is_same_cloud(Kubernetes())`, which an SSH node pool is not (a subclass, compared the other way). */
const TPU_CLOUDS = ['gcp', 'kubernetes'];

const keyRange = (e: VEntry) => ({ start: e.keyStart, end: e.keyEnd });

/** One diagnostic per node: several candidates share the node of a shared field. */
function once(reported: Set<number>, err: Err, node: { start: number; end: number }, message: string, code: string): void {
  if (reported.has(node.start)) return;
  reported.add(node.start);
  err(node, message, code);
}

export function checkCandidates(candidates: CandidateView[], err: Err): void {
  const reported = new Set<number>();
  const priorities = new Map<string, VEntry>();
  for (const c of candidates) {
    // A candidate without a priority takes the others' (SkyPilot skips None).
    const p = c.get('priority');
    if (!p) continue;
    const v = p.value.kind === 'scalar' ? String(p.value.value) : JSON.stringify(toPlain(p.value));
    if (!priorities.has(v)) priorities.set(v, p);
  }
  if (priorities.size > 1) {
    const at = [...priorities.values()].find((e) => e !== undefined);
    if (at)
      err(
        keyRange(at),
        `priority must be the same for every resources candidate (found ${[...priorities.keys()].join(', ')}): a job has one priority.`,
        'conflict',
      );
  }
  for (const c of candidates) {
    const tpus = c.acceleratorNames.filter((n) => n.toLowerCase().includes('tpu'));
    const acc = c.get('accelerators') ?? c.get('gpus');
    if (tpus.length && acc && c.cloud && !TPU_CLOUDS.includes(c.cloud)) {
      once(
        reported,
        err,
        acc.value,
        `TPU accelerators (${tpus.join(', ')}) run only on GCP or Kubernetes, not on ${c.cloud}: use infra: gcp (or k8s), or a GPU.`,
        'tpu-cloud',
      );
    }
    const it = c.get('instance_type');
    const args = c.get('accelerator_args');
    const tpuVm = !(
      args?.value.kind === 'map' &&
      entryOf(args.value, 'tpu_vm')?.value.kind === 'scalar' &&
      (entryOf(args.value, 'tpu_vm')?.value as { value: unknown }).value === false
    );
    const gkeTpu = tpus.some((n) => /podslice|device/i.test(n));
    if (tpus.length && c.cloud === 'gcp' && !gkeTpu && tpuVm && it && it.value.kind === 'scalar' && it.value.value !== 'TPU-VM') {
      once(
        reported,
        err,
        it.value,
        `A TPU VM takes no instance type (got '${String(it.value.value)}'): remove instance_type, or set it to TPU-VM.`,
        'conflict',
      );
    }
    const image = c.get('image_id');
    if (image?.value.kind === 'map' && entryOf(image.value, 'docker')) {
      const prefixed = image.value.entries.find(
        (e) => e.key !== 'docker' && e.value.kind === 'scalar' && typeof e.value.value === 'string' && e.value.value.startsWith('docker:'),
      );
      if (prefixed)
        once(
          reported,
          err,
          prefixed.value,
          `image_id has a 'docker' key and a docker: image for region '${prefixed.key}': give the container once, under the docker key, and VM images per region.`,
          'conflict',
        );
    }
    const eph = c.get('ephemeral_storage');
    // A Cloud TPU name with no infra puts the task on GCP (SkyPilot sets the cloud from it).
    const cloud = c.cloud ?? (tpus.length && !gkeTpu ? 'gcp' : undefined);
    if (eph && cloud && !KUBERNETES_LIKE.includes(cloud)) {
      once(
        reported,
        err,
        keyRange(eph),
        `ephemeral_storage is only supported on Kubernetes, not on ${cloud}: remove it, or use disk_size for the VM's disk.`,
        'infra-unsupported',
      );
    }
  }
}

/** A pool spec (`service.pool`, `service.workers`) rather than a service. */
export function isPoolSpec(svc: VMap): boolean {
  return ['pool', 'workers'].some((k) => {
    const e = entryOf(svc, k);
    return e !== undefined && !isNullNode(e.value);
  });
}

/**
 * `sky serve up` / `sky jobs pool apply` checks on a one-task file with a service or pool.
 * `spec` is the service mapping (undefined for a top-level `pool:`).
 */
export function serveUpChecks(
  owner: VEntry,
  spec: VMap | undefined,
  resources: VEntry | undefined,
  candidates: { mode: 'single' | 'any_of' | 'ordered'; list: CandidateView[] },
  err: Err,
): void {
  const pool = spec === undefined || isPoolSpec(spec);
  const what = pool ? 'pool' : 'service';
  const list = candidates.list;
  const at = resources ? keyRange(resources) : keyRange(owner);
  const spot = list.filter((c) => c.useSpot).length;
  if (spot !== 0 && spot !== list.length) {
    err(
      at,
      `A ${what} cannot mix spot and on-demand resources: set use_spot the same on every candidate (for on-demand fallback use replica_policy.dynamic_ondemand_fallback or base_ondemand_fallback_replicas).`,
      'serve-spot-mix',
    );
  }
  if (pool && candidates.mode === 'ordered') err(at, 'Ordered resources are not supported for pools: use any_of, or a single resources spec.', 'conflict');
  const svcPorts = spec ? entryOf(spec, 'ports') : undefined;
  const hasSvcPorts = svcPorts !== undefined && !isNullNode(svcPorts.value);
  if (pool) {
    // Ports that open nothing ('', [], ',') are no ports to SkyPilot.
    const opens = (c: CandidateView) => {
      const e = c.get('ports');
      if (!e || isNullNode(e.value) || (e.value.kind === 'scalar' && e.value.value === '')) return undefined;
      return c.ports?.size === 0 ? undefined : e;
    };
    const portsEntry = hasSvcPorts ? svcPorts : list.map(opens).find((e) => e !== undefined);
    if (portsEntry) err(keyRange(portsEntry), 'Cannot specify ports in a pool: pool workers run managed jobs, not a served endpoint.', 'conflict');
    return;
  }
  spotPlacerCheck(spec, list, err);
  if (hasSvcPorts) return;
  let port: number | undefined;
  for (const c of list.length ? list : [undefined]) {
    const set = c?.ports;
    if (!set || set.size !== 1) {
      const where = c?.get('ports');
      const found = !set || set.size === 0 ? 'none is given' : `${set.size} are opened`;
      err(
        where ? keyRange(where) : keyRange(owner),
        `A service needs exactly one replica port: set service.ports to the port the replicas serve on, or open exactly one port in resources.ports (${found}).`,
        'serve-ports',
      );
      return;
    }
    const p = [...set][0];
    if (port !== undefined && p !== port) {
      const where = c.get('ports');
      err(
        where ? keyRange(where) : keyRange(owner),
        `The resources candidates open different ports (${port} and ${p}): give every candidate the same port, or set service.ports.`,
        'serve-ports',
      );
      return;
    }
    port = p;
  }
}

/** Where a resources candidate is: the spot placer moves replicas between these only. */
const LOCATION = new Set(['infra', 'cloud', 'region', 'zone', 'any_of', 'ordered']);

/**
 * With a spot placer, every resources candidate (one per accelerator of a set or list) must be the
 * same but for its location (sky/serve/spot_placer.py).
 */
function spotPlacerCheck(spec: VMap | undefined, list: CandidateView[], err: Err): void {
  const policy = spec ? entryOf(spec, 'replica_policy')?.value : undefined;
  const placer = policy?.kind === 'map' ? entryOf(policy, 'spot_placer') : undefined;
  if (!placer || isNullNode(placer.value)) return;
  const shapes = new Set<string>();
  for (const c of list) {
    const fields: Record<string, unknown> = {};
    for (const k of c.keys().sort()) if (!LOCATION.has(k) && k !== 'accelerators' && k !== 'gpus') fields[k] = toPlain(c.get(k)?.value);
    const acc = c.get('accelerators') ?? c.get('gpus');
    let accs: string[] = [''];
    try {
      const parsed = acc ? parseAccelerators(toPlain(acc.value)) : undefined;
      if (parsed) accs = parsed.requests.map((r) => `${r.name}:${r.count}`);
    } catch {
      // Reported by the accelerators rule.
    }
    for (const a of accs) shapes.add(JSON.stringify({ ...fields, accelerators: a }));
  }
  if (shapes.size > 1)
    err(
      keyRange(placer),
      'With a spot_placer, every resources candidate must be the same but for its location (infra/cloud/region/zone): give one accelerator and move the other differences out, or drop spot_placer.',
      'conflict',
    );
}

/** Service fields a pool does not take (sky/serve/service_spec.py, pool mode). */
const NOT_FOR_POOL = ['load_balancing_policy', 'ports', 'tls', 'replica_policy', 'replicas'];

/**
 * A pool's own rules: `pool` is the pool mapping (`service.pool`, or a top-level `pool:`),
 * `svc` the service mapping around it (undefined for a top-level pool).
 */
export function poolChecks(pool: VMap, svc: VMap | undefined, err: Err): void {
  const num = (k: string) => {
    const e = entryOf(pool, k);
    return e && e.value.kind === 'scalar' && typeof e.value.value === 'number' ? { e, v: e.value.value } : undefined;
  };
  const min = num('min_workers');
  const max = num('max_workers');
  const workers = entryOf(pool, 'workers') ?? (svc ? entryOf(svc, 'workers') : undefined);
  if (!min && !max && (!workers || isNullNode(workers.value))) {
    err({ start: pool.start, end: Math.min(pool.end, pool.start + 1) }, 'A pool needs workers, or both min_workers and max_workers.', 'missing-required');
  }
  if (min && !max) err(keyRange(min.e), 'max_workers must be set when min_workers is: a pool autoscales between the two.', 'conflict');
  if (min && max && min.v > max.v) err(max.e.value, `min_workers (${min.v}) must be <= max_workers (${max.v}).`, 'range');
  const qlt = entryOf(pool, 'queue_length_threshold');
  if (qlt && !isNullNode(qlt.value) && !max) err(keyRange(qlt), 'max_workers must be set when queue_length_threshold is.', 'conflict');
  if (!svc) return;
  for (const k of NOT_FOR_POOL) {
    const e = entryOf(svc, k);
    if (e && !isNullNode(e.value))
      err(keyRange(e), k === 'replicas' ? 'Cannot specify replicas for a pool: use workers.' : `${k} is not supported for a pool.`, 'conflict');
  }
  const probe = entryOf(svc, 'readiness_probe')?.value;
  if (probe?.kind === 'map') {
    for (const k of ['post_data', 'headers']) {
      const e = entryOf(probe, k);
      if (e && !isNullNode(e.value)) err(keyRange(e), `readiness_probe.${k} is not supported for a pool.`, 'conflict');
    }
  }
}
