/**
 * What Azure Resource Manager checks in the bodies SkyDeck sends (resource groups, NSGs
 * and rules, virtual networks, public IPs, NICs, VMs), answered as ARM answers: HTTP 400
 * with `{ error: { code, message } }`. Sources: tag limits
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limits:
 * at most 50 tags, names up to 512 characters without `<>%&\?/` or control characters,
 * values up to 256), naming rules
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules),
 * and the VM and security-rule REST references.
 */
import type { Json } from '../jsonRequests';

export interface AzureInvalid {
  code: string;
  message: string;
}

const RESERVED_TAG_CHARS = /[<>%&\\?/\p{Cc}]/u;
/** Resource group names: 1-90 of alphanumerics, underscore, parentheses, hyphen, period; not ending in a period. */
const RESOURCE_GROUP = /^[-\w.()]{1,90}$/u;
/** Names of network resources and VMs: start alphanumeric, end alphanumeric or underscore. */
const NETWORK_NAME = /^[A-Za-z0-9]([-\w.]{0,78}[\w])?$/;
const LINUX_VM_NAME = /^[A-Za-z0-9]([-A-Za-z0-9.]{0,62}[A-Za-z0-9])?$/;
const PORT_RANGE = /^(\*|(\d{1,5})(?:-(\d{1,5}))?)$/;

export function validateTags(tags: unknown): AzureInvalid | undefined {
  if (tags === undefined || tags === null) return undefined;
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > 50) return { code: 'InvalidTagCount', message: `The number of tags (${entries.length}) exceeds the maximum of 50 tags per resource.` };
  const reserved = entries.map(([k]) => k).filter((k) => RESERVED_TAG_CHARS.test(k));
  if (reserved.length)
    return {
      code: 'InvalidTagNameCharacters',
      message: `The tag names '${reserved.join(',')}' have reserved characters '<,>,%,&,\\,?,/' or control characters.`,
    };
  for (const [k, v] of entries) {
    if (!k.length || k.length > 512) return { code: 'InvalidTagNameLength', message: `The tag name '${k.slice(0, 40)}...' must be 1 to 512 characters long.` };
    if (typeof v !== 'string') return { code: 'InvalidRequestContent', message: `The tag '${k}' must have a string value.` };
    if (v.length > 256) return { code: 'InvalidTagValueLength', message: `The tag value of '${k}' exceeds the maximum length of 256 characters.` };
  }
  return undefined;
}

export function validateResourceGroup(name: string, body: Json): AzureInvalid | undefined {
  if (!RESOURCE_GROUP.test(name) || name.endsWith('.')) {
    return {
      code: 'InvalidResourceGroupName',
      message: `Resource group name '${name}' is invalid. It can include alphanumeric, underscore, parentheses, hyphen, period (except at end), and be 1 to 90 characters long.`,
    };
  }
  if (!body.location) return { code: 'LocationRequired', message: 'The location property is required for this definition.' };
  return validateTags(body.tags);
}

function invalidParameter(target: string, message: string): AzureInvalid {
  return { code: 'InvalidParameter', message: `${message} Target: '${target}'.` };
}

function validateRule(rule: Json, where: string): AzureInvalid | undefined {
  const p = (rule.properties as Json | undefined) ?? rule;
  if (!rule.name) return { code: 'InvalidRequestFormat', message: `${where}: a security rule needs a name.` };
  if (!['Tcp', 'Udp', 'Icmp', 'Esp', 'Ah', '*'].includes(String(p.protocol)))
    return { code: 'SecurityRuleInvalidProtocol', message: `Security rule ${String(rule.name)} has invalid Protocol ${String(p.protocol)}.` };
  if (!['Allow', 'Deny'].includes(String(p.access)))
    return { code: 'SecurityRuleInvalidAccess', message: `Security rule ${String(rule.name)} has invalid Access ${String(p.access)}.` };
  if (!['Inbound', 'Outbound'].includes(String(p.direction)))
    return { code: 'SecurityRuleInvalidDirection', message: `Security rule ${String(rule.name)} has invalid Direction ${String(p.direction)}.` };
  const priority = p.priority as number;
  if (!Number.isInteger(priority) || priority < 100 || priority > 4096)
    return {
      code: 'SecurityRuleInvalidPriority',
      message: `Security rule ${String(rule.name)} has invalid Priority. Value provided: ${String(priority)} Allowed range 100-4096.`,
    };
  const single = p.destinationPortRange;
  const many = p.destinationPortRanges as unknown[] | undefined;
  if (single !== undefined && many?.length)
    return {
      code: 'SecurityRuleParameterContainsUnsupportedValue',
      message: `Security rule ${String(rule.name)} may set destinationPortRange or destinationPortRanges, not both.`,
    };
  for (const r of [single, ...(many ?? [])].filter((x) => x !== undefined)) {
    const m = PORT_RANGE.exec(String(r));
    const lo = Number(m?.[2] ?? 0);
    const hi = Number(m?.[3] ?? m?.[2] ?? 0);
    if (!m || (m[1] !== '*' && (lo < 0 || hi > 65535 || hi < lo)))
      return {
        code: 'SecurityRuleInvalidPortRange',
        message: `Security rule has invalid Port range. Value provided: ${String(r)}. Value should be an integer OR integer range with '-' delimiter. Valid range 0-65535.`,
      };
  }
  return undefined;
}

export function validateSecurityRules(rules: Json[], nsgName: string): AzureInvalid | undefined {
  const seen = new Map<string, string>();
  for (const r of rules) {
    const bad = validateRule(r, nsgName);
    if (bad) return bad;
    const p = (r.properties as Json | undefined) ?? r;
    const key = `${String(p.direction)}/${String(p.priority)}`;
    const other = seen.get(key);
    if (other && other !== r.name)
      return {
        code: 'SecurityRuleConflict',
        message: `Security rule ${String(r.name)} conflicts with rule ${other}. Rules cannot have the same Priority and Direction.`,
      };
    seen.set(key, r.name as string);
  }
  return undefined;
}

/** Checks a PUT of a network resource or VM (the SDKs send `properties` nested). */
export function validateResource(kind: string, name: string, body: Json): AzureInvalid | undefined {
  if (!body.location) return { code: 'LocationRequired', message: 'The location property is required for this definition.' };
  const tags = validateTags(body.tags);
  if (tags) return tags;
  const props = (body.properties as Json | undefined) ?? {};
  if (kind === 'virtualmachines') {
    if (!LINUX_VM_NAME.test(name))
      return invalidParameter(
        'vmName',
        `Virtual machine name '${name}' is invalid: 1-64 alphanumerics, hyphens and periods, starting and ending with an alphanumeric.`,
      );
    if (!(props.hardwareProfile as Json | undefined)?.vmSize) return invalidParameter('hardwareProfile.vmSize', 'The value of parameter vmSize is invalid.');
    const os = (props.osProfile as Json | undefined) ?? {};
    if (!os.adminUsername) return invalidParameter('adminUsername', 'Required parameter adminUsername is missing (null).');
    if (typeof os.computerName === 'string' && !LINUX_VM_NAME.test(os.computerName))
      return invalidParameter(
        'computerName',
        `Linux host name cannot exceed 64 characters in length or contain the following characters: \`~!@#$%^&*()=+_[]{}\\|;:'",<>/?.`,
      );
    const disk = ((props.storageProfile as Json | undefined)?.osDisk as Json | undefined) ?? {};
    if (disk.diskSizeGB !== undefined && !(Number.isInteger(disk.diskSizeGB) && (disk.diskSizeGB as number) >= 1 && (disk.diskSizeGB as number) <= 4095)) {
      return invalidParameter(
        'osDisk.diskSizeGB',
        `The value ${String(disk.diskSizeGB)} of parameter 'osDisk.diskSizeGB' is out of range. The value must be between '1' and '4095', inclusive.`,
      );
    }
    const spot = props.priority === 'Spot' || props.priority === 'Low';
    if (props.priority !== undefined && !['Regular', 'Spot', 'Low'].includes(String(props.priority)))
      return invalidParameter('priority', `The value ${String(props.priority)} of parameter 'priority' is invalid.`);
    if (!spot && props.evictionPolicy !== undefined) return invalidParameter('evictionPolicy', 'Eviction policy can be set only for Spot or Low priority VMs.');
    if (!spot && props.billingProfile !== undefined) return invalidParameter('billingProfile', 'Billing profile can be set only for Spot or Low priority VMs.');
    if (spot && props.evictionPolicy !== undefined && !['Deallocate', 'Delete'].includes(String(props.evictionPolicy)))
      return invalidParameter('evictionPolicy', `The value ${String(props.evictionPolicy)} of parameter 'evictionPolicy' is invalid.`);
    const maxPrice = (props.billingProfile as Json | undefined)?.maxPrice;
    if (maxPrice !== undefined && maxPrice !== -1 && !(typeof maxPrice === 'number' && maxPrice > 0))
      return invalidParameter('billingProfile.maxPrice', 'Max price must be -1 or greater than 0.');
    if (!((props.networkProfile as Json | undefined)?.networkInterfaces as unknown[] | undefined)?.length)
      return invalidParameter('networkProfile', 'At least one network interface is required.');
    return undefined;
  }
  if (!NETWORK_NAME.test(name))
    return {
      code: 'InvalidResourceName',
      message: `Resource name ${name} is invalid. The name can be up to 80 characters long. It must begin with a word character, and it must end with a word character or with '_'. The name may contain word characters or '.', '-', '_'.`,
    };
  if (kind === 'networksecuritygroups') return validateSecurityRules((props.securityRules as Json[] | undefined) ?? [], name);
  return undefined;
}
