/**
 * Config values SkyPilot lets vary by cluster name (`aws.security_group_name`): either one
 * value for every cluster, or a list of one-key mappings `{<cluster-name glob>: value}`, the
 * first whose fnmatch pattern matches the cluster's name winning; no match means the default.
 */
import { globRegExp } from '../cli/globNames';
import { configValue } from './cloudLabels';
import { isConfigMap, type ConfigValue } from './types';

export function valueForCluster(value: ConfigValue | undefined, clusterName: string): string | undefined {
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  for (const item of value) {
    if (!isConfigMap(item)) continue;
    const [pattern, v] = Object.entries(item)[0] ?? [];
    if (pattern !== undefined && typeof v === 'string' && globRegExp(pattern).test(clusterName)) return v;
  }
  return undefined;
}

/** `aws.security_group_name` for this cluster (undefined: SkyDeck's own group per cluster). */
export function securityGroupNameFor(cloud: 'aws', clusterName: string): string | undefined {
  return valueForCluster(configValue([cloud, 'security_group_name']), clusterName);
}
