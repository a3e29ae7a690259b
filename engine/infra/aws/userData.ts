/**
 * The instances' cloud-init user data, as SkyPilot's AWS template writes it: `aws.ssh_user`
 * becomes a user with the cluster's public key and passwordless sudo (a custom image's login
 * user need not exist beforehand), and `aws.post_provision_runcmd` becomes cloud-init's
 * `runcmd`, run once on every node when it first boots, before SkyDeck's setup reaches it.
 * Nothing set: no user data, the image's own login user and the EC2 key pair.
 */
import { stringify } from 'yaml';
import { configValue } from '../../config/cloudLabels';
import type { ConfigMap } from '../../config/types';
import { activeConfig } from '../../config/active';

/** `aws.ssh_user` (undefined: the image's login user). */
export function configuredSshUser(config: ConfigMap = activeConfig()): string | undefined {
  const v = configValue(['aws', 'ssh_user'], config);
  return typeof v === 'string' && v ? v : undefined;
}

/** `aws.post_provision_runcmd`: each item a shell line, or an argv list (cloud-init takes both). */
export function postProvisionRuncmd(config: ConfigMap = activeConfig()): (string | string[])[] {
  const v = configValue(['aws', 'post_provision_runcmd'], config);
  if (!Array.isArray(v)) return [];
  return v.filter((x): x is string | string[] => typeof x === 'string' || (Array.isArray(x) && x.every((a) => typeof a === 'string')));
}

/** The `#cloud-config` document for the instances, or undefined when nothing needs one. */
export function cloudInitUserData(sshPublicKey: string, config: ConfigMap = activeConfig()): string | undefined {
  const user = configuredSshUser(config);
  const runcmd = postProvisionRuncmd(config);
  if (!user && !runcmd.length) return undefined;
  const doc: Record<string, unknown> = {};
  if (user) {
    doc.users = [{ name: user, shell: '/bin/bash', sudo: 'ALL=(ALL) NOPASSWD:ALL', ssh_authorized_keys: [sshPublicKey.trim()] }];
  }
  if (runcmd.length) doc.runcmd = runcmd;
  return `#cloud-config\n${stringify(doc)}`;
}
