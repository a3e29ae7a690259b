/**
 * Autostop on a cloud VM (docs/AUTOSTOP.md): the node powers itself off from inside. What the
 * cloud then does (stop, terminate, or keep the VM allocated) is the provider's to document.
 * Cloud images let the default user run sudo without a password; without it, root may.
 */
export const GUEST_SHUTDOWN = 'sudo -n shutdown -h now || sudo -n poweroff || shutdown -h now || poweroff';

/**
 * Where emulated VMs are stood in for by this machine's sshd hosts (SKYDECK_TEST_ADDRESS_MAP),
 * powering "the VM" off would power off this machine: the node records the shutdown it would
 * have run (in ~/.skydeck_guest_shutdown) instead.
 */
const STAND_IN_SHUTDOWN = `printf '%s %s\\n' "$(date +%s)" ${JSON.stringify(GUEST_SHUTDOWN)} >>"$HOME/.skydeck_guest_shutdown"`;

function guestShutdownCommand(): string {
  return process.env.SKYDECK_TEST_ADDRESS_MAP ? STAND_IN_SHUTDOWN : GUEST_SHUTDOWN;
}

/** The same command for stop and down: the cloud's shutdown behaviour decides (see each provider's index.ts). */
export function guestShutdownCommands(): { stop: string; down: string } {
  const off = guestShutdownCommand();
  return { stop: off, down: off };
}
