/**
 * Autostop on a cloud VM (docs/AUTOSTOP.md): the node powers itself off from inside. What the
 * cloud then does (stop, terminate, or keep the VM allocated) is the provider's to document.
 * Cloud images let the default user run sudo without a password; without it, root may.
 */
export const GUEST_SHUTDOWN = 'sudo -n shutdown -h now || sudo -n poweroff || shutdown -h now || poweroff';
