/**
 * kubeconfig contexts as SkyDeck infra `k8s/<context>`. Every file of KUBECONFIG is read
 * (the first file defining a context wins, as kubectl merges); each context gets its own
 * KubeConfig with that context current, so clients never depend on global state.
 */
import * as k8s from '@kubernetes/client-node';
import { InputError, errorMessage } from '../../errors';
import { MISSING_KUBECONFIG, existingKubeconfigs, kubeconfigPaths } from './kubeconfigFiles';

export interface KubeContext {
  name: string;
  file: string;
  namespace: string;
  server: string;
  config: k8s.KubeConfig;
}

export interface KubeconfigScan {
  contexts: KubeContext[];
  currentContext?: string;
  /** Files that could not be parsed, with why. */
  problems: string[];
}

export function scanKubeconfig(env: NodeJS.ProcessEnv = process.env): KubeconfigScan {
  const out: KubeconfigScan = { contexts: [], problems: [] };
  for (const file of existingKubeconfigs(env)) {
    const base = new k8s.KubeConfig();
    try {
      base.loadFromFile(file);
    } catch (e) {
      out.problems.push(`${file}: ${errorMessage(e)}`);
      continue;
    }
    out.currentContext ??= base.getCurrentContext() || undefined;
    for (const ctx of base.getContexts()) {
      if (out.contexts.some((c) => c.name === ctx.name)) continue;
      const config = new k8s.KubeConfig();
      config.loadFromFile(file);
      config.setCurrentContext(ctx.name);
      const cluster = config.getCurrentCluster();
      out.contexts.push({ name: ctx.name, file, namespace: ctx.namespace || 'default', server: cluster?.server ?? '', config });
    }
  }
  return out;
}

/** The context for infra `k8s/<name>` ('default' or empty: the current context). */
export function resolveContext(name: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeContext {
  const scan = scanKubeconfig(env);
  if (scan.contexts.length === 0) {
    if (existingKubeconfigs(env).length === 0) throw new InputError(MISSING_KUBECONFIG, { code: 'KUBECONFIG_MISSING' });
    throw new InputError(`No contexts in ${kubeconfigPaths(env).join(', ')}${scan.problems.length ? ` (${scan.problems.join('; ')})` : ''}.`, {
      code: 'KUBECONFIG_INVALID',
      hint: 'Add a context with `kubectl config set-context`.',
    });
  }
  const wanted = !name || name === 'default' ? (scan.currentContext ?? (name === 'default' ? 'default' : undefined)) : name;
  const found = scan.contexts.find((c) => c.name === wanted) ?? (name === 'default' ? scan.contexts.find((c) => c.name === 'default') : undefined);
  if (!found) {
    throw new InputError(`Kubernetes context '${wanted ?? name}' is not in ${kubeconfigPaths(env).join(', ')}.`, {
      code: 'KUBE_CONTEXT_NOT_FOUND',
      hint: `Known contexts: ${scan.contexts.map((c) => c.name).join(', ')}. Use infra k8s/<context>.`,
    });
  }
  return found;
}
