/** Where kubeconfig lives (KUBECONFIG, a path list, else ~/.kube/config). No SDK here: `check` uses it first. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function kubeconfigPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.KUBECONFIG) return env.KUBECONFIG.split(path.delimiter).filter(Boolean);
  return [path.join(env.HOME || os.homedir(), '.kube', 'config')];
}

export function existingKubeconfigs(env: NodeJS.ProcessEnv = process.env): string[] {
  return kubeconfigPaths(env).filter((f) => {
    try {
      return fs.statSync(f).isFile();
    } catch {
      return false;
    }
  });
}

export const MISSING_KUBECONFIG =
  'No kubeconfig found (KUBECONFIG or ~/.kube/config). Point KUBECONFIG at a kubeconfig file (e.g. from `gcloud container clusters get-credentials` or `kind get kubeconfig`), then run `skydeck check k8s`.';
