/**
 * SkyPilot's overlay of one config on another (sky/utils/config_utils.py), with provenance:
 * - mappings merge key by key, the higher layer winning each key;
 * - lists (and scalars) are replaced whole by the higher layer;
 * - except under `kubernetes.pod_config` and `kubernetes.custom_metadata`, merged the way a
 *   pod spec patch is: `containers`/`imagePullSecrets` merge their first item, lists Kubernetes
 *   patches by a key (volumes, env, ... by name) merge items with the same key and append the
 *   rest, any other list is appended.
 */
import { isConfigMap, pathKey, type ConfigMap, type ConfigValue, type Origins } from './types';

/** Kubernetes lists with patch strategy "merge", and the key their items merge on. */
const PATCH_MERGE_KEYS: Record<string, string> = {
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  volumeMounts: 'name',
  resourceClaims: 'name',
  env: 'name',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  ports: 'containerPort',
  volumeDevices: 'devicePath',
};

/** One-container pods: these lists merge their single item instead of appending. */
const SINGLE_ITEM_LISTS = new Set(['containers', 'imagePullSecrets']);

function clone<T extends ConfigValue>(v: T): T {
  return structuredClone(v);
}

function under(prefix: string[], key: string): boolean {
  const p = pathKey(prefix);
  return key === p || key.startsWith(`${p.slice(0, -1)},`);
}

function dropOrigins(origins: Origins, path: string[]): void {
  for (const k of [...origins.keys()]) if (under(path, k)) origins.delete(k);
}

function copyOrigins(to: Origins, from: Origins, path: string[], append = false): void {
  for (const [k, v] of from) {
    if (!under(path, k)) continue;
    to.set(k, append ? [...(to.get(k) ?? []), ...v] : [...v]);
  }
}

/**
 * Merges `override` into `base` as a pod spec patch (SkyPilot's merge_k8s_configs). Mutates
 * `base`. Used for layers and for the pod SkyDeck builds (podSpec.ts).
 */
export function mergeK8s(base: ConfigMap, override: ConfigMap, track?: { origins: Origins; from: Origins; path: string[] }): void {
  for (const [key, value] of Object.entries(override)) {
    const path = track ? [...track.path, key] : [];
    const sub = track ? { ...track, path } : undefined;
    const have = base[key];
    if (isConfigMap(value) && isConfigMap(have)) {
      mergeK8s(have, value, sub);
    } else if (Array.isArray(value) && Array.isArray(have)) {
      if (SINGLE_ITEM_LISTS.has(key) && isConfigMap(have[0]) && isConfigMap(value[0])) {
        mergeK8s(have[0], value[0]);
      } else if (PATCH_MERGE_KEYS[key]) {
        const mk = PATCH_MERGE_KEYS[key];
        for (const item of value) {
          const id = isConfigMap(item) ? item[mk] : undefined;
          const same = id !== undefined && id !== null ? have.find((h) => isConfigMap(h) && h[mk] === id) : undefined;
          if (isConfigMap(same) && isConfigMap(item)) mergeK8s(same, item);
          else have.push(clone(item));
        }
      } else {
        have.push(...value.map(clone));
      }
      if (track) copyOrigins(track.origins, track.from, path, true);
      continue;
    } else {
      base[key] = clone(value);
    }
    if (track && !(isConfigMap(value) && isConfigMap(have))) {
      dropOrigins(track.origins, path);
      copyOrigins(track.origins, track.from, path);
    }
  }
}

function overlayMap(base: ConfigMap, override: ConfigMap, origins: Origins, from: Origins, path: string[]): void {
  for (const [key, value] of Object.entries(override)) {
    const p = [...path, key];
    const have = base[key];
    const k8sMerge = path.length === 1 && path[0] === 'kubernetes' && (key === 'pod_config' || key === 'custom_metadata');
    if (k8sMerge && isConfigMap(have) && isConfigMap(value)) {
      mergeK8s(have, value, { origins, from, path: p });
    } else if (isConfigMap(value) && isConfigMap(have)) {
      overlayMap(have, value, origins, from, p);
    } else {
      base[key] = clone(value);
      dropOrigins(origins, p);
      copyOrigins(origins, from, p);
    }
  }
}

/** `override` over `base` (neither is modified); origins follow the values. */
export function overlay(
  base: { value: ConfigMap; origins: Origins },
  override: { value: ConfigMap; origins: Origins },
): { value: ConfigMap; origins: Origins } {
  const value = clone(base.value);
  const origins: Origins = new Map([...base.origins].map(([k, v]) => [k, [...v]]));
  overlayMap(value, override.value, origins, override.origins, []);
  return { value, origins };
}

/** The value at `path`, or undefined. */
export function getPath(config: ConfigMap, path: readonly string[]): ConfigValue | undefined {
  let cur: ConfigValue | undefined = config;
  for (const k of path) {
    if (!isConfigMap(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
