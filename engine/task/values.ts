/**
 * Parsers for the small value languages inside `resources:` (SkyPilot's sky/resources.py,
 * sky/utils/resources_utils.py, sky/utils/infra_utils.py): accelerators, infra, cpus /
 * memory / disk sizes, ports, autostop, job_recovery. Each throws a TaskValueError with
 * a message that says what is wrong and what is accepted; the validator turns it into a
 * diagnostic on the value.
 */
import { InputError } from '../errors';
import type { AcceleratorRequest, AutostopSpec, InfraSpec, JobRecovery, JobRecoveryStrategy, QuantitySpec } from './types';

export class TaskValueError extends InputError {
  constructor(message: string) {
    super(message, { code: 'INVALID_TASK_VALUE' });
  }
}

/** Clouds SkyPilot knows (ALL_CLOUDS) plus SkyDeck's `local`. */
export const CLOUDS = [
  'aws',
  'azure',
  'gcp',
  'ibm',
  'lambda',
  'scp',
  'oci',
  'kubernetes',
  'runpod',
  'vast',
  'vsphere',
  'cudo',
  'fluidstack',
  'paperspace',
  'primeintellect',
  'do',
  'nebius',
  'ssh',
  'slurm',
  'hyperbolic',
  'seeweb',
  'shadeform',
  'yotta',
  'mithril',
  'verda',
  'local',
] as const;

// ---------- accelerators ----------

const MEMORY_ACC = /^[0-9]+[GgMmTt][Bb]\+?$/;

export interface ParsedAccelerators {
  requests: AcceleratorRequest[];
  /** true for the list form (ordered preference). */
  ordered: boolean;
}

function parseCount(raw: string, whole: string): number {
  const n = pyFloat(raw);
  if (n === undefined) {
    throw new TaskValueError(`Invalid accelerator count in '${whole}': '${raw}' is not a number. Write NAME or NAME:COUNT, e.g. 'A100:8'.`);
  }
  if (!(n > 0)) throw new TaskValueError(`Invalid accelerator count in '${whole}': the count must be a positive number, got ${raw.trim()}.`);
  return n;
}

function memorySpec(mem: string): { gb: number; orMore: boolean } {
  const orMore = mem.endsWith('+');
  const body = orMore ? mem.slice(0, -1) : mem;
  const unit = body.slice(-2).toUpperCase();
  const n = Number(body.slice(0, -2));
  const gb = unit === 'MB' ? n / 1024 : unit === 'TB' ? n * 1024 : n;
  return { gb, orMore };
}

/** One accelerator string: `A100`, `A100:8`, `T4:0.5`, `80GB+`, `24GB:2`, `nvidia:24GB`, `nvidia:80GB+:8`. */
export function parseAcceleratorString(text: string, defaultCount = 1): AcceleratorRequest {
  const s = text.trim();
  if (!s) throw new TaskValueError('Accelerator name is empty. Write NAME or NAME:COUNT, e.g. A100:8.');
  const parts = s.split(':');
  if (parts.length === 3) {
    const [manufacturer, mem, count] = parts;
    if (!MEMORY_ACC.test(mem)) throw new TaskValueError(`Invalid accelerator '${s}': expected MANUFACTURER:MEMORY:COUNT such as 'nvidia:80GB+:8'.`);
    return { name: `${manufacturer}:${mem}`, count: parseCount(count, s), memory: { ...memorySpec(mem), manufacturer } };
  }
  if (parts.length === 2 && MEMORY_ACC.test(parts[0])) {
    return { name: parts[0], count: parseCount(parts[1], s), memory: memorySpec(parts[0]) };
  }
  if (parts.length === 2 && MEMORY_ACC.test(parts[1])) {
    return { name: s, count: defaultCount, memory: { ...memorySpec(parts[1]), manufacturer: parts[0] } };
  }
  if (parts.length === 1 && MEMORY_ACC.test(s)) return { name: s, count: defaultCount, memory: memorySpec(s) };
  if (parts.length > 2) throw new TaskValueError(`Invalid accelerator '${s}': write NAME or NAME:COUNT, e.g. 'A100:8'.`);
  const name = parts[0].trim();
  if (!name) throw new TaskValueError(`Invalid accelerator '${s}': the name is empty.`);
  const count = parts.length === 2 ? parseCount(parts[1], s) : defaultCount;
  return { name: name.toLowerCase().startsWith('tpu-') ? name.toLowerCase() : name, count };
}

/** Every accepted `accelerators:` form (string, dict, null-valued set, list). */
export function parseAccelerators(value: unknown): ParsedAccelerators | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return { requests: [parseAcceleratorString(value)], ordered: false };
  if (Array.isArray(value)) {
    const requests = value.map((v) => {
      if (typeof v !== 'string') throw new TaskValueError(`Each item of an accelerators list must be a string like 'A100:8', not ${describe(v)}.`);
      return parseAcceleratorString(v);
    });
    if (requests.length === 0) throw new TaskValueError('The accelerators list is empty.');
    return { requests, ordered: true };
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return undefined;
    const requests = entries.map(([k, v]) => {
      if (v === null || v === undefined) return parseAcceleratorString(k);
      if (typeof v !== 'number') throw new TaskValueError(`The count of accelerator '${k}' must be a number, not ${describe(v)}.`);
      if (!(v > 0)) throw new TaskValueError(`The count of accelerator '${k}' must be a positive number, got ${v}.`);
      // SkyPilot reads an entry as the string 'KEY:COUNT': a key with its own ':' makes three parts.
      const r = parseAcceleratorString(k.includes(':') ? `${k}:${v}` : k);
      return { ...r, count: v };
    });
    return { requests, ordered: false };
  }
  throw new TaskValueError(`accelerators must be a name ('A100:8'), a mapping ({A100: 8}) or a list, not ${describe(value)}.`);
}

// ---------- infra ----------

/** `cloud[/region[/zone]]`, `*` wildcards, `k8s|kubernetes[/<context with slashes>]`, `ssh[/<pool with slashes>]`. */
export function parseInfra(text: string): InfraSpec {
  const s = text.trim().replace(/^\/+|\/+$/g, '');
  if (!s) return {};
  const parts = s.split('/');
  if (parts.some((p) => p.trim() === ''))
    throw new TaskValueError(`Invalid infra '${text}': empty part ('//'). Write cloud[/region[/zone]], e.g. 'gcp/us-central1'.`);
  let cloud = parts[0].toLowerCase();
  if (cloud === 'k8s') cloud = 'kubernetes';
  if (cloud === 'kubernetes') {
    const ctx = parts.slice(1).join('/');
    return ctx && ctx !== '*' ? { cloud, region: ctx } : { cloud };
  }
  if (cloud === 'ssh') {
    // As for a Kubernetes context, everything after `ssh/` is the pool's name.
    const pool = parts.slice(1).join('/');
    return pool && pool !== '*' ? { cloud, region: pool } : { cloud };
  }
  if (parts.length > 3) throw new TaskValueError(`Invalid infra '${text}': too many parts. Write cloud[/region[/zone]], e.g. 'aws/us-east-1/us-east-1a'.`);
  if (cloud !== '*' && !(CLOUDS as readonly string[]).includes(cloud)) {
    throw new TaskValueError(`Invalid infra '${text}': unknown cloud '${parts[0]}'. Known: ${CLOUDS.join(', ')} (or '*', 'k8s').`);
  }
  const out: InfraSpec = {};
  if (cloud !== '*') out.cloud = cloud;
  if (parts[1] && parts[1] !== '*') out.region = parts[1];
  if (parts[2] && parts[2] !== '*') out.zone = parts[2];
  return out;
}

export function formatInfra(infra: InfraSpec): string {
  return [infra.cloud ?? '*', infra.region, infra.zone].filter((p) => p !== undefined).join('/');
}

// ---------- cpus / memory / sizes ----------

const UNIT_GIB: Record<string, number> = { k: 1 / (1024 * 1024), m: 1 / 1024, g: 1, t: 1024, p: 1024 * 1024 };

/** A number as Python's float() reads it: sign, '_' between digits, exponent. */
const PY_FLOAT = /^[+-]?(?:[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?|\.[0-9](?:_?[0-9])*)(?:[eE][+-]?[0-9](?:_?[0-9])*)?$/;

function pyFloat(text: string): number | undefined {
  const t = text.trim();
  return PY_FLOAT.test(t) ? Number(t.replace(/_/g, '')) : undefined;
}

/**
 * `local_disk` as SkyPilot normalizes it (resources_utils.normalize_local_disk): `mode:size[+]`,
 * `mode` alone (100+ GB) or `size[+]` alone (nvme); mode nvme or ssd, any case; size a positive
 * number of GB. Returns the canonical `mode:size[+]`.
 */
export function parseLocalDisk(value: string): string {
  const s = value.toLowerCase().trim();
  const parts = s.split(':');
  const size = (text: string) => {
    const n = pyFloat(text.replace(/\++$/, ''));
    if (n === undefined || !(n > 0))
      throw new TaskValueError(`Invalid local_disk '${value}': the size must be a positive number of GB, e.g. 'nvme:1000+', 'ssd:500', 'nvme' or '1000+'.`);
  };
  if (parts.length === 1) {
    if (s === 'nvme' || s === 'ssd') return `${s}:100+`;
    size(s);
    return `nvme:${s}`;
  }
  if (parts.length === 2) {
    if (parts[0] !== 'nvme' && parts[0] !== 'ssd') throw new TaskValueError(`Invalid local_disk mode '${parts[0]}' in '${value}': use nvme or ssd.`);
    size(parts[1]);
    return s;
  }
  throw new TaskValueError(`Invalid local_disk '${value}': write 'mode:size[+]', 'mode' or 'size[+]', e.g. 'nvme:1000+'.`);
}

/**
 * `cpus` or `memory` as SkyPilot reads them (sky/resources.py, resources_utils.parse_memory_resource):
 * a number, `"4"`, `"+4"` (a sign, as Python's float() allows), `"4+"` (at least); memory also with
 * a unit KB/KI, MB/MI, GB/GI, TB/TI, PB/PI (any case; GiB are the base) or a per-vCPU ratio `"4x"`
 * (lower-case x, without '+').
 */
export function parseQuantity(value: string | number, kind: 'cpus' | 'memory'): QuantitySpec & { perCpu?: boolean } {
  if (typeof value === 'number') {
    if (!(value > 0)) throw new TaskValueError(`${kind} must be greater than 0, got ${value}.`);
    return { value, orMore: false };
  }
  const s = String(value);
  const orMore = s.endsWith('+');
  let body = orMore ? s.slice(0, -1) : s;
  let perCpu = false;
  let factor = 1;
  if (kind === 'memory') {
    if (!orMore && body.endsWith('x')) {
      perCpu = true;
      body = body.slice(0, -1);
    }
    if (pyFloat(body) === undefined) {
      const m = /^(.*?)([kmgtp])[bi]$/i.exec(body);
      if (!m || m[1] === '') throw badQuantity(s, kind);
      body = m[1];
      factor = UNIT_GIB[m[2].toLowerCase()];
    }
  }
  const parsed = pyFloat(body);
  if (parsed === undefined) throw badQuantity(s, kind);
  const n = parsed * factor;
  if (!(n > 0)) throw new TaskValueError(`${kind} must be greater than 0, got '${s}'.`);
  const out: QuantitySpec & { perCpu?: boolean } = { value: n, orMore };
  if (perCpu) out.perCpu = true;
  return out;
}

function badQuantity(s: string, kind: 'cpus' | 'memory'): TaskValueError {
  const forms = kind === 'cpus' ? "'4', '4+' or 0.5" : "'32', '32+', '32GB', '1TB+' or '4x' (GiB per vCPU)";
  return new TaskValueError(`Invalid ${kind} '${s}'. Write ${forms}.`);
}

/** Python's int() of a string: optional sign, digits with single '_' between them, spaces around. */
const PY_INT = /^\s*[+-]?[0-9]+(?:_[0-9]+)*\s*$/;

/**
 * disk_size / ephemeral_storage as SkyPilot reads them (parse_memory_resource with int): a whole
 * number of GB (256, "256"), or a whole number with a unit KB/MB/GB/TB/PB (KI..PI) that comes
 * to a whole number of GB ("1TB"; "512MB" and "1.5" are refused); returns GB.
 */
export function parseDiskSize(value: string | number, field = 'disk_size'): number {
  const s = String(value);
  let gb: number | undefined;
  if (PY_INT.test(s)) gb = Number(s.replace(/_/g, ''));
  else {
    const m = /^(.*?)([kmgtp])[bi]$/.exec(s.toLowerCase());
    if (!m || !PY_INT.test(m[1])) throw badDiskSize(s, field);
    gb = Number(m[1].replace(/_/g, '')) * UNIT_GIB[m[2]];
    if (!Number.isInteger(gb)) throw badDiskSize(s, field);
  }
  if (field === 'disk_size' && !(gb > 0)) throw new TaskValueError(`disk_size must be a positive whole number of GB, got ${s}.`);
  return gb;
}

function badDiskSize(s: string, field: string): TaskValueError {
  return new TaskValueError(`Invalid ${field} '${s}': write a whole number of GB (256) or a size in whole GB such as '1TB' (units KB/MB/GB/TB/PB).`);
}

/** Autostop idle time: minutes (int) or `"30m"`, `"2h"`, `"1d"`, `"1w"`. */
export function parseTimeMinutes(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new TaskValueError(`Idle minutes must be a whole number >= 0, got ${value}.`);
    return value;
  }
  const m = /^\s*([0-9]+)\s*([mhdwMHDW]?)\s*$/.exec(value);
  if (!m) throw new TaskValueError(`Invalid time '${value}'. Write minutes (30) or '30m', '2h', '1d', '1w'.`);
  const mult: Record<string, number> = { '': 1, m: 1, h: 60, d: 1440, w: 10080 };
  return Number(m[1]) * mult[m[2].toLowerCase()];
}

// ---------- ports ----------

/** `8080`, `"8080"`, `"8000-8010"`, `"8000,9000"`, or a list of those -> sorted, merged `a` / `a-b` strings. */
export function parsePorts(value: unknown): string[] | undefined {
  // An empty string opens nothing, as in SkyPilot (it tests the value's truth).
  if (value === null || value === undefined || value === '') return undefined;
  const items: unknown[] = Array.isArray(value) ? value : [value];
  const ranges: [number, number][] = [];
  for (const item of items) {
    if (typeof item === 'number') {
      ranges.push([checkPort(item, String(item)), checkPort(item, String(item))]);
      continue;
    }
    if (typeof item !== 'string') throw new TaskValueError(`Invalid port ${describe(item)}: write 8080, '8000-8010' or a list of them.`);
    for (const part of item.split(',')) {
      const p = part.trim();
      if (!p) continue;
      // SkyPilot strips each part but wants a range as two bare numbers ('8080-8090').
      const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(p);
      if (!m) throw new TaskValueError(`Invalid port '${p}': write 8080, '8000-8010' or '8000,9000'.`);
      const a = checkPort(Number(m[1]), p);
      const b = m[2] !== undefined ? checkPort(Number(m[2]), p) : a;
      if (b < a) throw new TaskValueError(`Invalid port range '${p}': the end is before the start.`);
      ranges.push([a, b]);
    }
  }
  ranges.sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const r of ranges) {
    const last = merged[merged.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else merged.push([r[0], r[1]]);
  }
  return merged.map(([a, b]) => (a === b ? String(a) : `${a}-${b}`));
}

function checkPort(n: number, text: string): number {
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new TaskValueError(`Invalid port '${text}': ports are whole numbers from 1 to 65535.`);
  return n;
}

// ---------- autostop / job_recovery ----------

export function parseAutostop(value: unknown): AutostopSpec | undefined {
  if (value === null || value === undefined) return undefined;
  if (value === false) return { idleMinutes: -1, down: false, enabled: false };
  if (value === true) return { idleMinutes: 0, down: false, enabled: true };
  if (typeof value === 'number' || typeof value === 'string') return { idleMinutes: parseTimeMinutes(value), down: false, enabled: true };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const idle = o.idle_minutes;
    const out: AutostopSpec = {
      idleMinutes: typeof idle === 'number' || typeof idle === 'string' ? parseTimeMinutes(idle) : 5,
      down: o.down === true,
      enabled: true,
    };
    if (typeof o.wait_for === 'string') {
      const w = o.wait_for.toLowerCase();
      if (w !== 'jobs_and_ssh' && w !== 'jobs' && w !== 'none')
        throw new TaskValueError(`Invalid autostop.wait_for '${o.wait_for}': use jobs_and_ssh, jobs or none.`);
      out.waitFor = w;
    }
    return out;
  }
  throw new TaskValueError(`autostop must be true/false, idle minutes (10, '2h') or a mapping, not ${describe(value)}.`);
}

const STRATEGIES: JobRecoveryStrategy[] = ['EAGER_NEXT_REGION', 'FAILOVER'];

export function parseJobRecovery(value: unknown): JobRecovery | undefined {
  if (value === null || value === undefined) return undefined;
  const strategyOf = (s: unknown): JobRecoveryStrategy | undefined => {
    if (s === null || s === undefined) return undefined;
    if (typeof s !== 'string') throw new TaskValueError(`job_recovery strategy must be a string, not ${describe(s)}.`);
    const up = s.toUpperCase();
    if (up === 'NONE') return undefined;
    if (!(STRATEGIES as string[]).includes(up))
      throw new TaskValueError(`Unknown job_recovery strategy '${s}'. Use one of: ${STRATEGIES.join(', ')} (or none).`);
    return up as JobRecoveryStrategy;
  };
  if (typeof value === 'string') {
    const out: JobRecovery = {};
    const st = strategyOf(value);
    if (st) out.strategy = st;
    return out;
  }
  if (typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const out: JobRecovery = {};
    const st = strategyOf(o.strategy);
    if (st) out.strategy = st;
    if (typeof o.max_restarts_on_errors === 'number') out.maxRestartsOnErrors = o.max_restarts_on_errors;
    const codes = o.recover_on_exit_codes;
    if (typeof codes === 'number') out.recoverOnExitCodes = [codes];
    else if (Array.isArray(codes)) out.recoverOnExitCodes = codes.filter((c): c is number => typeof c === 'number');
    return out;
  }
  throw new TaskValueError(`job_recovery must be a strategy name or a mapping, not ${describe(value)}.`);
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string '${v}'`;
  return `${typeof v} ${String(v)}`;
}
