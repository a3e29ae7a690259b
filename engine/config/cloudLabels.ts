/**
 * Cloud keys the VM providers read: `aws.labels`, `gcp.labels`, `azure.labels` (tags/labels
 * SkyPilot puts on every instance of that cloud; the task's own `resources.labels` win over
 * them, the more specific setting), and single values such as `aws.vpc_name`.
 */
import { activeConfig } from './active';
import { getPath } from './merge';
import { isConfigMap, type ConfigMap, type ConfigValue } from './types';

/** The value at `path` of the configuration in force (undefined when unset or null). */
export function configValue(path: readonly string[], config: ConfigMap = activeConfig()): ConfigValue | undefined {
  return getPath(config, path) ?? undefined;
}

export function withConfigLabels(
  cloud: 'aws' | 'gcp' | 'azure',
  taskLabels: Record<string, string>,
  config: ConfigMap = activeConfig(),
): Record<string, string> {
  const block = config[cloud];
  const fromConfig = isConfigMap(block) && isConfigMap(block.labels) ? block.labels : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fromConfig)) if (v !== null && typeof v !== 'object') out[k] = String(v);
  return { ...out, ...taskLabels };
}
