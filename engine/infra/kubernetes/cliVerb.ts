/**
 * The hidden `skydeck k8s-ssh-proxy` verb that ssh config entries of Kubernetes clusters use
 * as ProxyCommand (./sshProxy). Kept here so the CLI only registers it; the provider (and
 * @kubernetes/client-node) loads through the registry when the verb runs.
 */
import type { Command } from 'commander';
import { getProvider } from '../registry';
import { SSH_PROXY_VERB } from './sshProxy';

interface ProxyCapable {
  sshProxy(context: string, namespace: string, pod: string): Promise<number>;
}

export function registerKubernetesSshProxy(program: Command): void {
  program
    .command(SSH_PROXY_VERB, { hidden: true })
    .description('Bridge stdio to the sshd of a Kubernetes pod (ssh ProxyCommand).')
    .requiredOption('--context <context>', 'kubeconfig context')
    .requiredOption('--namespace <namespace>', 'namespace of the pod')
    .argument('<pod>', 'pod name')
    .action(async (pod: string, opts: { context: string; namespace: string }) => {
      const provider = (await getProvider('kubernetes')) as unknown as Partial<ProxyCapable>;
      if (typeof provider.sshProxy !== 'function') throw new Error('The kubernetes provider cannot proxy SSH.');
      process.exitCode = await provider.sshProxy(opts.context, opts.namespace, pod);
    });
}
