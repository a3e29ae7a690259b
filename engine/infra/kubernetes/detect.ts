/**
 * kubeconfig contexts as infra `k8s/<context>`, read as YAML without the Kubernetes SDK: the
 * current context, or `kubernetes.allowed_contexts` of the configuration (a list, or `all`).
 */
import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { activeConfig } from '../../config/active';
import type { ConfigMap } from '../../config/types';
import type { InfraDetection } from '../provider';
import { MISSING_KUBECONFIG, existingKubeconfigs } from './kubeconfigFiles';

function isRecord(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

export function detect(env: NodeJS.ProcessEnv = process.env, config: ConfigMap = activeConfig(env)): InfraDetection[] {
  const files = existingKubeconfigs(env);
  if (files.length === 0) return [{ infra: 'kubernetes', enabled: false, reason: MISSING_KUBECONFIG }];
  const contexts: string[] = [];
  let current: string | undefined;
  for (const f of files) {
    const doc = readYaml(f);
    if (!isRecord(doc)) continue;
    if (!current && typeof doc['current-context'] === 'string' && doc['current-context']) current = doc['current-context'];
    if (Array.isArray(doc.contexts)) for (const c of doc.contexts) if (isRecord(c) && typeof c.name === 'string') contexts.push(c.name);
  }
  const k8s = isRecord(config.kubernetes) ? config.kubernetes : undefined;
  const listed = k8s?.allowed_contexts;
  const allowed = listed === 'all' ? contexts : Array.isArray(listed) ? listed.filter((c): c is string => typeof c === 'string') : undefined;
  const out = (allowed ?? (current ? [current] : [])).map((ctx): InfraDetection =>
    contexts.includes(ctx)
      ? { infra: `k8s/${ctx}`, enabled: true, reason: `Context '${ctx}' in ${files.join(', ')}.` }
      : { infra: `k8s/${ctx}`, enabled: false, reason: `Context '${ctx}' is not in ${files.join(', ')}.` },
  );
  if (out.length === 0)
    out.push({ infra: 'kubernetes', enabled: false, reason: `${files.join(', ')} has no current-context. Run \`kubectl config use-context NAME\`.` });
  return out;
}
