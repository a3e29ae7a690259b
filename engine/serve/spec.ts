/**
 * The service section with SkyPilot's defaults filled in (sky/serve/service_spec.py).
 * Takes the task loader's ServiceSpec and reads the fields the shared model does not carry
 * (probe interval, failure window, stream timeout) from the raw YAML mapping. When the
 * loader gave no ServiceSpec, the raw `service:` mapping is parsed here with the same rules.
 */
import { InputError } from '../errors';
import type { Task } from '../task/types';

export type LoadBalancingPolicyName = 'round_robin' | 'least_load';

export interface ProbeSpec {
  path: string;
  /** JSON body; when set the probe is a POST. */
  postData?: unknown;
  headers: Record<string, string>;
  initialDelaySeconds: number;
  timeoutSeconds: number;
  intervalSeconds: number;
  /** Consecutive failures spanning this long, after having been ready, fail the replica. */
  failureThresholdSeconds: number;
}

export interface ResolvedServiceSpec {
  probe: ProbeSpec;
  minReplicas: number;
  maxReplicas: number;
  numOverprovision: number;
  /** Undefined: fixed size (min_replicas). */
  targetQpsPerReplica?: number;
  upscaleDelaySeconds: number;
  downscaleDelaySeconds: number;
  baseOndemandFallbackReplicas: number;
  dynamicOndemandFallback: boolean;
  /** Replica port. */
  port: number;
  loadBalancingPolicy: LoadBalancingPolicyName;
  tls?: { keyfile: string; certfile: string };
  streamTimeoutSeconds: number;
  /** Whether the task asks for spot instances (fallback targets need it). */
  useSpot: boolean;
}

const PROBE_DEFAULTS = { path: '/', initialDelaySeconds: 1200, timeoutSeconds: 15, intervalSeconds: 10, failureThresholdSeconds: 180 };
const SCALE_DEFAULTS = { upscaleDelaySeconds: 300, downscaleDelaySeconds: 1200 };

type Raw = Record<string, unknown>;

function obj(v: unknown): Raw | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
}
function num(v: unknown, what: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw new InputError(`service.${what} must be a non-negative number (got ${JSON.stringify(v)}).`);
  return n;
}

function parsePostData(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    throw new InputError(`service.readiness_probe.post_data is not valid JSON: ${v}`, { hint: 'Write it as a YAML mapping or a JSON string.' });
  }
}

function resolvePort(task: Task, raw: Raw): number {
  const explicit = num(raw.ports, 'ports') ?? task.service?.port;
  if (explicit !== undefined) return explicit;
  const ports = new Set<string>();
  for (const c of [task.resources.base, ...task.resources.candidates]) for (const p of c.ports ?? []) ports.add(p);
  const rawPorts = obj(task.raw.resources)?.ports;
  if (ports.size === 0 && rawPorts !== undefined) for (const p of Array.isArray(rawPorts) ? rawPorts : [rawPorts]) ports.add(String(p));
  const single = [...ports];
  if (single.length !== 1 || !/^\d+$/.test(single[0])) {
    throw new InputError('The service needs a replica port: set `service.ports`, or exactly one port in `resources.ports`.');
  }
  return Number(single[0]);
}

function taskUsesSpot(task: Task): boolean {
  const all = [task.resources.base, ...task.resources.candidates];
  if (all.some((r) => r.useSpot)) return true;
  return obj(task.raw.resources)?.use_spot === true;
}

/** The service section of `task`, with defaults; throws InputError when there is none or it is invalid. */
export function resolveServiceSpec(task: Task): ResolvedServiceSpec {
  const raw = obj(task.raw.service);
  if (!raw && !task.service)
    throw new InputError('The task has no `service:` section.', { hint: 'Add a service section (readiness_probe, replicas) to serve it.' });
  const r = raw ?? {};
  const svc = task.service;

  const rawProbe = r.readiness_probe;
  const probeObj = obj(rawProbe);
  const probe: ProbeSpec = {
    path: typeof rawProbe === 'string' ? rawProbe : ((probeObj?.path as string | undefined) ?? svc?.readinessProbe.path ?? PROBE_DEFAULTS.path),
    postData: probeObj && 'post_data' in probeObj ? parsePostData(probeObj.post_data) : svc?.readinessProbe.postData,
    headers: (obj(probeObj?.headers) as Record<string, string> | undefined) ?? svc?.readinessProbe.headers ?? {},
    initialDelaySeconds:
      num(probeObj?.initial_delay_seconds, 'readiness_probe.initial_delay_seconds') ??
      svc?.readinessProbe.initialDelaySeconds ??
      PROBE_DEFAULTS.initialDelaySeconds,
    timeoutSeconds: num(probeObj?.timeout_seconds, 'readiness_probe.timeout_seconds') ?? svc?.readinessProbe.timeoutSeconds ?? PROBE_DEFAULTS.timeoutSeconds,
    intervalSeconds: num(probeObj?.endpoint_probe_interval_seconds, 'readiness_probe.endpoint_probe_interval_seconds') ?? PROBE_DEFAULTS.intervalSeconds,
    failureThresholdSeconds:
      num(probeObj?.consecutive_failure_threshold_timeout, 'readiness_probe.consecutive_failure_threshold_timeout') ?? PROBE_DEFAULTS.failureThresholdSeconds,
  };
  if (!probe.path.startsWith('/')) throw new InputError(`service.readiness_probe path must start with "/" (got ${probe.path}).`);

  const policy = obj(r.replica_policy);
  const fixed = num(r.replicas, 'replicas');
  const minReplicas = fixed ?? num(policy?.min_replicas, 'replica_policy.min_replicas') ?? svc?.replicaPolicy.minReplicas ?? 1;
  const maxReplicas = fixed ?? num(policy?.max_replicas, 'replica_policy.max_replicas') ?? svc?.replicaPolicy.maxReplicas ?? minReplicas;
  const rawTarget = policy?.target_qps_per_replica ?? svc?.replicaPolicy.targetQpsPerReplica;
  if (obj(rawTarget))
    throw new InputError('A per-accelerator target_qps_per_replica (instance_aware_least_load) is not supported yet.', { hint: 'Use a single number.' });
  const targetQpsPerReplica = num(rawTarget, 'replica_policy.target_qps_per_replica');
  if (maxReplicas < minReplicas) throw new InputError(`service.replica_policy.max_replicas (${maxReplicas}) must be >= min_replicas (${minReplicas}).`);
  if (maxReplicas !== minReplicas && targetQpsPerReplica === undefined) {
    throw new InputError('service.replica_policy: max_replicas differs from min_replicas but no target_qps_per_replica is set.', {
      hint: 'To enable autoscaling, please set target_qps_per_replica.',
    });
  }
  const lbRaw = (r.load_balancing_policy as string | undefined) ?? svc?.loadBalancingPolicy ?? 'least_load';
  const lb = String(lbRaw).toLowerCase();
  if (lb !== 'round_robin' && lb !== 'least_load') {
    throw new InputError(`service.load_balancing_policy ${JSON.stringify(lbRaw)} is not supported.`, { hint: 'Use round_robin or least_load.' });
  }
  const tlsRaw = obj(r.tls);
  const tls = tlsRaw ? { keyfile: String(tlsRaw.keyfile), certfile: String(tlsRaw.certfile) } : svc?.tls;
  const useSpot = taskUsesSpot(task);
  const base =
    num(policy?.base_ondemand_fallback_replicas, 'replica_policy.base_ondemand_fallback_replicas') ?? svc?.replicaPolicy.baseOndemandFallbackReplicas ?? 0;
  const dynamic = (policy?.dynamic_ondemand_fallback as boolean | undefined) ?? svc?.replicaPolicy.dynamicOndemandFallback ?? false;
  if ((base > 0 || dynamic) && !useSpot) {
    throw new InputError('base_ondemand_fallback_replicas / dynamic_ondemand_fallback need spot replicas.', { hint: 'Set resources.use_spot: true.' });
  }
  return {
    probe,
    minReplicas,
    maxReplicas,
    numOverprovision: num(policy?.num_overprovision, 'replica_policy.num_overprovision') ?? svc?.replicaPolicy.numOverprovision ?? 0,
    targetQpsPerReplica,
    upscaleDelaySeconds:
      num(policy?.upscale_delay_seconds, 'replica_policy.upscale_delay_seconds') ??
      svc?.replicaPolicy.upscaleDelaySeconds ??
      SCALE_DEFAULTS.upscaleDelaySeconds,
    downscaleDelaySeconds:
      num(policy?.downscale_delay_seconds, 'replica_policy.downscale_delay_seconds') ??
      svc?.replicaPolicy.downscaleDelaySeconds ??
      SCALE_DEFAULTS.downscaleDelaySeconds,
    baseOndemandFallbackReplicas: base,
    dynamicOndemandFallback: dynamic,
    port: resolvePort(task, r),
    loadBalancingPolicy: lb,
    tls,
    streamTimeoutSeconds: num(obj(r.load_balancer)?.stream_timeout_seconds, 'load_balancer.stream_timeout_seconds') ?? 120,
    useSpot,
  };
}
