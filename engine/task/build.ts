/**
 * Plain (validated, substituted) task mappings -> the Task model in ./types.ts.
 * Mirrors SkyPilot's Task.from_yaml_config / Resources.from_yaml_config / SkyServiceSpec
 * defaults. Throws TaskValueError on values the validator would also have flagged.
 */
import { pythonStrAny } from './envSubst';
import type { ReadinessProbe, ReplicaPolicy, ResourcesChoice, ResourcesSpec, ServiceSpec, StorageSpec, Task } from './types';
import { parseAccelerators, parseAutostop, parseDiskSize, parseInfra, parseJobRecovery, parsePorts, parseQuantity, TaskValueError } from './values';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Removes keys whose value is null (SkyPilot's skip_none at every schema layer). */
function dropNulls(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}

export function buildTask(raw: Obj): Task {
  const o = dropNulls(raw);
  const task: Task = {
    numNodes: typeof o.num_nodes === 'number' ? o.num_nodes : 1,
    envs: stringMap(o.envs),
    secrets: secretsMap(o.secrets),
    fileMounts: {},
    resources: buildResources(isObj(o.resources) ? o.resources : {}),
    raw: o,
  };
  if (typeof o.name === 'string') task.name = o.name;
  if (typeof o.workdir === 'string') task.workdir = o.workdir;
  else if (isObj(o.workdir) && typeof o.workdir.url === 'string') task.workdir = o.workdir.url;
  if (typeof o.setup === 'string') task.setup = o.setup;
  else if (Array.isArray(o.setup)) task.setup = o.setup.join('\n');
  if (typeof o.run === 'string') task.run = o.run;
  if (isObj(o.file_mounts)) {
    for (const [dst, src] of Object.entries(o.file_mounts)) {
      if (typeof src === 'string') task.fileMounts[dst] = src;
      else if (isObj(src)) task.fileMounts[dst] = dropNulls(src) as StorageSpec;
    }
  }
  if (isObj(o.service)) task.service = buildService(dropNulls(o.service), task.resources);
  if (isObj(o.pool)) task.pool = o.pool;
  if (isObj(o.volumes)) task.volumes = o.volumes;
  if (isObj(o.config)) task.config = o.config;
  return task;
}

function stringMap(v: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (!isObj(v)) return out;
  for (const [k, val] of Object.entries(v)) out[k] = val === null || val === undefined ? null : pythonStrAny(val as Parameters<typeof pythonStrAny>[0]);
  return out;
}

function secretsMap(v: unknown): Record<string, string | null> {
  if (Array.isArray(v)) {
    const out: Record<string, string | null> = {};
    for (const item of v) if (typeof item === 'string') out[item.replace(/^secrets:/, '')] = null;
    return out;
  }
  return stringMap(v);
}

// ---------- resources ----------

const ALTERNATIVE_KEYS = ['any_of', 'ordered'] as const;

export function buildResources(raw: Obj): ResourcesChoice {
  const base = dropNulls(raw);
  const mode = Array.isArray(base.any_of) ? 'any_of' : Array.isArray(base.ordered) ? 'ordered' : 'single';
  const baseOnly: Obj = { ...base };
  for (const k of ALTERNATIVE_KEYS) delete baseOnly[k];
  const baseSpec = buildSpec(baseOnly);
  if (mode === 'single') return { base: baseSpec, candidates: [baseSpec], mode };
  const items = (base[mode] as unknown[]).filter(isObj);
  const candidates = items.map((item) => {
    const merged: Obj = { ...baseOnly, ...dropNulls(item) };
    if (isObj(baseOnly.labels) && isObj(item.labels)) merged.labels = { ...baseOnly.labels, ...item.labels };
    return buildSpec(merged);
  });
  return { base: baseSpec, candidates: candidates.length ? candidates : [baseSpec], mode };
}

export function buildSpec(raw: Obj): ResourcesSpec {
  const o = dropNulls(raw);
  const spec: ResourcesSpec = {};
  if (typeof o.infra === 'string') {
    const infra = parseInfra(o.infra);
    if (infra.cloud || infra.region || infra.zone) spec.infra = infra;
  } else if (o.cloud !== undefined || o.region !== undefined || o.zone !== undefined) {
    spec.infra = {};
    if (typeof o.cloud === 'string') spec.infra.cloud = o.cloud.toLowerCase() === 'k8s' ? 'kubernetes' : o.cloud.toLowerCase();
    if (typeof o.region === 'string') spec.infra.region = o.region;
    if (typeof o.zone === 'string') spec.infra.zone = o.zone;
  }
  const acc = parseAccelerators(o.accelerators ?? o.gpus);
  if (acc) {
    spec.accelerators = acc.requests;
    if (acc.ordered) spec.acceleratorsOrdered = true;
  }
  if (typeof o.cpus === 'string' || typeof o.cpus === 'number') spec.cpus = parseQuantity(o.cpus, 'cpus');
  if (typeof o.memory === 'string' || typeof o.memory === 'number') spec.memory = parseQuantity(o.memory, 'memory');
  if (typeof o.instance_type === 'string') spec.instanceType = o.instance_type;
  if (typeof o.use_spot === 'boolean') spec.useSpot = o.use_spot;
  if (typeof o.disk_size === 'number' || typeof o.disk_size === 'string') spec.diskSizeGb = parseDiskSize(o.disk_size);
  if (typeof o.disk_tier === 'string') spec.diskTier = o.disk_tier.toLowerCase();
  if (typeof o.network_tier === 'string') spec.networkTier = o.network_tier.toLowerCase();
  const ports = parsePorts(o.ports);
  if (ports) spec.ports = ports;
  if (typeof o.image_id === 'string') spec.imageId = o.image_id;
  else if (isObj(o.image_id)) spec.imageId = Object.fromEntries(Object.entries(o.image_id).map(([k, v]) => [k, String(v)]));
  if (typeof o.max_hourly_cost === 'number') spec.maxHourlyCost = o.max_hourly_cost;
  if (isObj(o.labels)) spec.labels = Object.fromEntries(Object.entries(o.labels).map(([k, v]) => [k, String(v)]));
  const jr = parseJobRecovery(o.job_recovery);
  if (jr) spec.jobRecovery = jr;
  const autostop = parseAutostop(o.autostop);
  if (autostop) spec.autostop = autostop;
  if (isObj(o.accelerator_args)) spec.acceleratorArgs = o.accelerator_args;
  if (typeof o.local_disk === 'string') spec.localDisk = o.local_disk;
  if (typeof o.priority === 'number') spec.priority = o.priority;
  return spec;
}

// ---------- service ----------

function buildService(o: Obj, resources: ResourcesChoice): ServiceSpec {
  const probe: ReadinessProbe = { path: '/', initialDelaySeconds: 1200, timeoutSeconds: 15 };
  const rp = o.readiness_probe;
  if (typeof rp === 'string') probe.path = rp;
  else if (isObj(rp)) {
    if (typeof rp.path === 'string') probe.path = rp.path;
    if (typeof rp.initial_delay_seconds === 'number') probe.initialDelaySeconds = rp.initial_delay_seconds;
    if (typeof rp.timeout_seconds === 'number') probe.timeoutSeconds = rp.timeout_seconds;
    if (rp.post_data !== undefined && rp.post_data !== null) {
      if (typeof rp.post_data === 'string') {
        try {
          probe.postData = JSON.parse(rp.post_data);
        } catch {
          throw new TaskValueError('service.readiness_probe.post_data is a string but not valid JSON.');
        }
      } else probe.postData = rp.post_data;
    }
    if (isObj(rp.headers)) probe.headers = Object.fromEntries(Object.entries(rp.headers).map(([k, v]) => [k, String(v)]));
  }
  const policy: ReplicaPolicy = { minReplicas: 1, upscaleDelaySeconds: 300, downscaleDelaySeconds: 1200 };
  if (typeof o.replicas === 'number') {
    policy.minReplicas = o.replicas;
    policy.maxReplicas = o.replicas;
  }
  const p = isObj(o.replica_policy) ? dropNulls(o.replica_policy) : undefined;
  if (p) {
    if (typeof p.min_replicas === 'number') policy.minReplicas = p.min_replicas;
    if (typeof p.max_replicas === 'number') policy.maxReplicas = p.max_replicas;
    if (typeof p.num_overprovision === 'number') policy.numOverprovision = p.num_overprovision;
    if (typeof p.target_qps_per_replica === 'number') policy.targetQpsPerReplica = p.target_qps_per_replica;
    else if (isObj(p.target_qps_per_replica)) policy.targetQpsPerReplica = p.target_qps_per_replica as Record<string, number>;
    if (typeof p.upscale_delay_seconds === 'number') policy.upscaleDelaySeconds = p.upscale_delay_seconds;
    if (typeof p.downscale_delay_seconds === 'number') policy.downscaleDelaySeconds = p.downscale_delay_seconds;
    if (typeof p.base_ondemand_fallback_replicas === 'number') policy.baseOndemandFallbackReplicas = p.base_ondemand_fallback_replicas;
    if (typeof p.dynamic_ondemand_fallback === 'boolean') policy.dynamicOndemandFallback = p.dynamic_ondemand_fallback;
  }
  const spec: ServiceSpec = {
    readinessProbe: probe,
    replicaPolicy: policy,
    loadBalancingPolicy: typeof o.load_balancing_policy === 'string' ? o.load_balancing_policy.toLowerCase() : 'least_load',
  };
  if (typeof o.ports === 'number') spec.port = o.ports;
  else if (typeof o.ports === 'string' && /^[0-9]+$/.test(o.ports)) spec.port = Number(o.ports);
  else {
    const ports = resources.base.ports ?? resources.candidates[0]?.ports;
    if (ports && ports.length === 1 && /^[0-9]+$/.test(ports[0])) spec.port = Number(ports[0]);
  }
  if (isObj(o.tls) && typeof o.tls.keyfile === 'string' && typeof o.tls.certfile === 'string') {
    spec.tls = { keyfile: o.tls.keyfile, certfile: o.tls.certfile };
  }
  return spec;
}
