/**
 * `aws.labels`, `gcp.labels`, `azure.labels`: tags/labels SkyPilot puts on every instance of that
 * cloud. The task's own `resources.labels` win over them (the more specific setting).
 */
import { activeConfig } from './active';
import { isConfigMap, type ConfigMap } from './types';

export function withConfigLabels(cloud: 'aws' | 'gcp' | 'azure', taskLabels: Record<string, string>, config: ConfigMap = activeConfig()): Record<string, string> {
  const block = config[cloud];
  const fromConfig = isConfigMap(block) && isConfigMap(block.labels) ? block.labels : {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(fromConfig)) if (v !== null && typeof v !== 'object') out[k] = String(v);
  return { ...out, ...taskLabels };
}
