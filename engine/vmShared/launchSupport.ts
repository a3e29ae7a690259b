/** Pieces of the launch flow shared by the VM clouds: SSH readiness and error normalisation. */
import { CancelledError } from '../errors';
import { ProvisionError, isProvisionError, type NodeInfo } from '../infra/provider';
import type { CloudProviderOptions } from './options';
import { CloudTimeoutError } from './poll';
import { waitForSshBanner, sshWaitTimeoutMs } from './sshWait';

/** Waits until every running node answers on SSH (at its mapped endpoint under a test mapping). */
export async function waitForNodesSsh(nodes: readonly NodeInfo[], options: CloudProviderOptions, signal?: AbortSignal): Promise<void> {
  const waiter = options.waitForSsh ?? waitForSshBanner;
  const timeoutMs = sshWaitTimeoutMs();
  await Promise.all(
    nodes.map((n) => {
      if (!n.ssh) throw new ProvisionError('unreachable', 'zone', `Node ${n.id} has no reachable SSH address.`);
      const proxy = n.ssh.proxyCommand ? { command: n.ssh.proxyCommand, source: n.ssh.proxyCommandSource } : undefined;
      return waiter({ host: n.ssh.host, port: n.ssh.port, user: n.ssh.user, proxy }, { timeoutMs, signal });
    }),
  );
}

/**
 * Errors that are not the cloud's own (timeouts, aborted waits) as ProvisionError, so
 * the failover loop can act on them. Cancellation passes through untouched.
 */
export function normaliseLaunchError(err: unknown, cloud: string, place: string, mapCloudError: (e: unknown) => ProvisionError): unknown {
  if (err instanceof CancelledError || (err instanceof Error && err.name === 'CancelledError')) return err;
  if (isProvisionError(err)) return err;
  if (err instanceof CloudTimeoutError) {
    return new ProvisionError('unreachable', 'zone', `${cloud} ${place}: ${err.message}`, {
      hint: 'The nodes were cleaned up; the next zone or region will be tried.',
      cause: err,
    });
  }
  return mapCloudError(err);
}

/** Adds what cleanup could not remove to an error, so the user knows to look. */
export function withCleanupNote(err: unknown, leftovers: string[]): unknown {
  if (!leftovers.length || !(err instanceof Error)) return err;
  err.message += ` (cleanup also failed: ${leftovers.join('; ')})`;
  return err;
}
