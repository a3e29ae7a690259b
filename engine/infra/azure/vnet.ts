/**
 * `azure.vpc_name`: the cluster's NICs go into an existing virtual network (`vnet`, found in
 * any resource group of the subscription, or `resource-group/vnet`) instead of the cluster's
 * own. SkyDeck never creates, changes or deletes that network; its first subnet is used. A
 * network that does not exist is a config error naming the key and where it was set, raised
 * before anything is created.
 */
import type { VirtualNetwork } from '@azure/arm-network';
import { activeOrigins } from '../../config/active';
import { configValue } from '../../config/cloudLabels';
import { originOf } from '../../config/honoured';
import { formatOrigin } from '../../config/types';
import { ProvisionError } from '../provider';
import type { AzureClients } from './clients';
import { isAzureNotFound } from './errors';

const KEY = ['azure', 'vpc_name'];

/** The configured network as written, or undefined when the cluster gets its own. */
export function configuredVnet(): string | undefined {
  const v = configValue(KEY);
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

function source(): string {
  const origin = originOf(activeOrigins(), KEY);
  return origin ? `azure.vpc_name (${formatOrigin(origin)})` : 'azure.vpc_name';
}

/** The subnet id of the configured network for a launch in `region`. */
export async function configuredSubnetId(c: AzureClients, region: string, value: string): Promise<string> {
  const parts = value.split('/');
  if (parts.length > 2 || parts.some((p) => !p)) {
    throw new ProvisionError('config', 'cloud', `${source()}: '${value}' is not a virtual network name or resource-group/name.`);
  }
  const [group, name] = parts.length === 2 ? parts : [undefined, parts[0]];
  let candidates: VirtualNetwork[] = [];
  if (group) {
    try {
      candidates = [await c.network.virtualNetworks.get(group, name)];
    } catch (err) {
      if (!isAzureNotFound(err)) throw err;
    }
  } else {
    for await (const vnet of c.network.virtualNetworks.listAll()) if (vnet.name?.toLowerCase() === name.toLowerCase()) candidates.push(vnet);
  }
  const where = group ? `resource group ${group}` : `subscription ${c.subscriptionId}`;
  if (!candidates.length) {
    throw new ProvisionError('config', 'cloud', `${source()}: no virtual network '${name}' in ${where}.`, {
      hint: 'Create it (SkyDeck does not), or correct the name; `resource-group/name` names it in one resource group.',
    });
  }
  const here = candidates.find((v) => v.location?.toLowerCase() === region.toLowerCase());
  if (!here) {
    throw new ProvisionError(
      'config',
      'region',
      `Azure ${region}: virtual network '${name}' (${source()}) is in ${candidates.map((v) => v.location).join(', ')}, not ${region}.`,
      { hint: 'A VM joins a virtual network of its own region: launch there, or name a network in this region.' },
    );
  }
  const subnet = here.subnets?.[0]?.id;
  if (!subnet) throw new ProvisionError('config', 'cloud', `${source()}: virtual network '${name}' has no subnet.`, { hint: 'Add a subnet to it.' });
  return subnet;
}
