/**
 * How the VM clouds' nodes are reached (SkyPilot's `_NETWORK_CONFIG_SCHEMA`, shared by aws, gcp
 * and azure): `<cloud>.use_internal_ips` (nodes get and are reached on private IPs only) and
 * `<cloud>.ssh_proxy_command` (a ProxyCommand with OpenSSH's `%h`/`%p` tokens, for every SSH
 * connection to the nodes). A mapping `{region: command}` gives each region its own command,
 * and a region it does not list is not used (SkyPilot drops such regions from the candidates).
 */
import { InputError } from '../errors';
import { activeConfig, activeOrigins } from './active';
import { getPath } from './merge';
import { originOf } from './honoured';
import { formatOrigin, isConfigMap, type ConfigMap, type Origins } from './types';

export type VmCloud = 'aws' | 'gcp' | 'azure';

export interface NodeNetworking {
  /** Reach (and, where the cloud allows, create) the nodes on their private IPs only. */
  useInternalIps: boolean;
  /** The ProxyCommand for this region, as written (OpenSSH tokens unexpanded). */
  proxyCommand?: string;
  /** Where it came from, for errors: `aws.ssh_proxy_command (/home/me/.sky/config.yaml:4)`. */
  proxyCommandSource?: string;
}

/** A region a `{region: command}` mapping does not list: SkyPilot does not use it. */
export class RegionWithoutProxyError extends Error {
  constructor(
    readonly key: string,
    readonly region: string,
    readonly listed: string[],
  ) {
    super(`${key} lists commands for ${listed.join(', ') || 'no region'} only, not for ${region}, so ${region} is not used.`);
  }
}

function sourceOf(cloud: VmCloud, region: string | undefined, origins: Origins): string {
  const path = region === undefined ? [cloud, 'ssh_proxy_command'] : [cloud, 'ssh_proxy_command', region];
  const origin = originOf(origins, path);
  return origin ? `${path.join('.')} (${formatOrigin(origin)})` : path.join('.');
}

/**
 * The networking of `cloud`'s nodes in `region`. Throws RegionWithoutProxyError when a
 * `{region: command}` mapping leaves the region out (a null command for a listed region means
 * "no proxy there", as in SkyPilot).
 */
function proxy(command: string, source: string): Pick<NodeNetworking, 'proxyCommand' | 'proxyCommandSource'> {
  // One line, as OpenSSH's ProxyCommand (the generated ssh config holds it as written).
  if (/[\r\n]/.test(command.trim()))
    throw new InputError(`${source}: the SSH proxy command must be one line.`, { hint: 'Join it into one command line (ProxyCommand is a single line).' });
  return { proxyCommand: command.trim(), proxyCommandSource: source };
}

export function networkingFor(cloud: VmCloud, region: string, config: ConfigMap = activeConfig(), origins: Origins = activeOrigins()): NodeNetworking {
  const useInternalIps = getPath(config, [cloud, 'use_internal_ips']) === true;
  const raw = getPath(config, [cloud, 'ssh_proxy_command']);
  if (typeof raw === 'string' && raw.trim()) return { useInternalIps, ...proxy(raw, sourceOf(cloud, undefined, origins)) };
  if (isConfigMap(raw)) {
    if (!Object.prototype.hasOwnProperty.call(raw, region)) throw new RegionWithoutProxyError(`${cloud}.ssh_proxy_command`, region, Object.keys(raw));
    const v = raw[region];
    if (typeof v === 'string' && v.trim()) return { useInternalIps, ...proxy(v, sourceOf(cloud, region, origins)) };
  }
  return { useInternalIps };
}

/** The regions a `{region: command}` mapping allows (undefined: every region). */
export function proxyRegions(cloud: VmCloud, config: ConfigMap = activeConfig()): string[] | undefined {
  const raw = getPath(config, [cloud, 'ssh_proxy_command']);
  return isConfigMap(raw) ? Object.keys(raw) : undefined;
}

/** The optimizer's region limits from every VM cloud's `{region: command}` mapping (SkyPilot drops the other regions). */
export function proxyRegionLimits(config: ConfigMap = activeConfig()): Record<string, { regions: string[]; why: string }> | undefined {
  const out: Record<string, { regions: string[]; why: string }> = {};
  for (const cloud of ['aws', 'gcp', 'azure'] as const) {
    const regions = proxyRegions(cloud, config);
    if (regions) out[cloud] = { regions, why: `${cloud}.ssh_proxy_command` };
  }
  return Object.keys(out).length ? out : undefined;
}
