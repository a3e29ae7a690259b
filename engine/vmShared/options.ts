/** Knobs every VM-cloud provider accepts from its creator (tests inject the SSH waiter). */
import type { SshWaiter } from './sshWait';

export interface CloudProviderOptions {
  /** Replaces the TCP/SSH-banner wait (tests against emulators with no sshd behind the addresses). */
  waitForSsh?: SshWaiter;
  /** Poll interval for instance/operation state (default SKYDECK_CLOUD_POLL_MS or 5 s). */
  pollIntervalMs?: number;
  /** How long to wait for instances to reach a state (default 10 min). */
  stateTimeoutMs?: number;
}
