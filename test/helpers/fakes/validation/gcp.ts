/**
 * What Compute Engine checks in the bodies SkyDeck sends (instances.insert, firewalls
 * insert/patch), with the field paths, reasons and messages the real API answers with
 * (HTTP 400, reason `invalid` or `required`). Sources: the REST reference for
 * instances (https://cloud.google.com/compute/docs/reference/rest/v1/instances),
 * resource naming (https://cloud.google.com/compute/docs/naming-resources), labels
 * (https://cloud.google.com/compute/docs/labeling-resources), Spot/preemptible scheduling
 * (https://cloud.google.com/compute/docs/instances/spot) and GPU host maintenance
 * (https://cloud.google.com/compute/docs/gpus/gpu-host-maintenance).
 */
import type { Json } from '../jsonRequests';

export interface GcpInvalid {
  reason: 'invalid' | 'required';
  message: string;
}

/** RFC 1035 names, as every Compute Engine resource name and network tag must be. */
const NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const NAME_REGEX_TEXT = '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)';
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const METADATA_KEY = /^[a-zA-Z0-9_-]{1,128}$/;
const PORT_RANGE = /^(\d{1,5})(?:-(\d{1,5}))?$/;

const invalid = (field: string, value: unknown, why: string): GcpInvalid => ({
  reason: 'invalid',
  message: `Invalid value for field '${field}': '${typeof value === 'string' ? value : JSON.stringify(value ?? '')}'. ${why}`,
});
const required = (field: string): GcpInvalid => ({ reason: 'required', message: `Required field '${field}' not specified` });

function checkName(field: string, value: unknown): GcpInvalid | undefined {
  if (value === undefined || value === '') return required(field);
  if (typeof value !== 'string' || !NAME.test(value)) return invalid(field, value, `Must be a match of regex '${NAME_REGEX_TEXT}'`);
  return undefined;
}

function checkLabels(labels: unknown): GcpInvalid | undefined {
  if (labels === undefined) return undefined;
  const entries = Object.entries(labels as Record<string, unknown>);
  if (entries.length > 64) return invalid('resource.labels', '', 'Resources can have at most 64 labels.');
  for (const [k, v] of entries) {
    if (!LABEL_KEY.test(k)) {
      return invalid(
        'resource.labels',
        '',
        `Label key '${k}' violates format constraints. The key must start with a lowercase character, can only contain lowercase letters, numeric characters, underscores and dashes. The key can be at most 63 characters long.`,
      );
    }
    if (typeof v !== 'string' || !LABEL_VALUE.test(v)) {
      return invalid(
        'resource.labels',
        '',
        `Label value '${String(v)}' violates format constraints. The value can only contain lowercase letters, numeric characters, underscores and dashes. The value can be at most 63 characters long.`,
      );
    }
  }
  return undefined;
}

function checkScheduling(s: Json, hasGuestAccelerators: boolean): GcpInvalid | undefined {
  const f = 'resource.scheduling';
  const ohm = s.onHostMaintenance ?? 'MIGRATE';
  if (ohm !== 'MIGRATE' && ohm !== 'TERMINATE') return invalid(`${f}.onHostMaintenance`, ohm, 'Must be one of [MIGRATE, TERMINATE].');
  const model = s.provisioningModel ?? 'STANDARD';
  if (model !== 'STANDARD' && model !== 'SPOT') return invalid(`${f}.provisioningModel`, model, 'Must be one of [STANDARD, SPOT].');
  const spot = model === 'SPOT' || s.preemptible === true;
  if (spot && ohm !== 'TERMINATE')
    return invalid(`${f}.onHostMaintenance`, ohm, "Scheduling must have preemptible be false when OnHostMaintenance isn't TERMINATE.");
  if (spot && s.automaticRestart !== false)
    return invalid(`${f}.automaticRestart`, 'true', 'Scheduling must have preemptible be false when AutomaticRestart is true.');
  if (s.instanceTerminationAction !== undefined) {
    if (!spot)
      return invalid(`${f}.instanceTerminationAction`, s.instanceTerminationAction, 'Instance termination action can only be set for Spot or preemptible VMs.');
    if (s.instanceTerminationAction !== 'STOP' && s.instanceTerminationAction !== 'DELETE')
      return invalid(`${f}.instanceTerminationAction`, s.instanceTerminationAction, 'Must be one of [STOP, DELETE].');
  }
  if (hasGuestAccelerators && ohm !== 'TERMINATE')
    return invalid(`${f}.onHostMaintenance`, ohm, 'Instances with guest accelerators do not support live migration.');
  return undefined;
}

/** The first problem real GCP reports for an instances.insert body in `zone`, if any. */
export function validateInstance(body: Json, zone: string): GcpInvalid | undefined {
  const name = checkName('resource.name', body.name);
  if (name) return name;
  if (!body.machineType) return required('resource.machineType');
  const mt = String(body.machineType);
  const mtZone = /zones\/([^/]+)\/machineTypes\//.exec(mt)?.[1];
  if (mtZone && mtZone !== zone) return invalid('resource.machineType', mt, `Cross-zone references are not allowed (instance zone ${zone}).`);
  const disks = (body.disks as Json[] | undefined) ?? [];
  if (!disks.some((d) => d.boot === true)) return invalid('resource.disks', '', 'Boot disk must be specified.');
  for (const [i, d] of disks.entries()) {
    const size = (d.initializeParams as Json | undefined)?.diskSizeGb;
    if (size !== undefined && !(/^\d+$/.test(String(size)) && Number(size) >= 10 && Number(size) <= 65536)) {
      return invalid(`resource.disks[${i}].initializeParams.diskSizeGb`, String(size), 'Disk size must be a whole number of GB between 10 and 65536.');
    }
  }
  const nics = (body.networkInterfaces as Json[] | undefined) ?? [];
  if (!nics.length) return required('resource.networkInterfaces');
  const labels = checkLabels(body.labels);
  if (labels) return labels;
  for (const [i, t] of (((body.tags as Json | undefined)?.items as unknown[] | undefined) ?? []).entries()) {
    const bad = checkName(`resource.tags.items[${i}]`, t);
    if (bad) return bad;
  }
  const accelerators = (body.guestAccelerators as Json[] | undefined) ?? [];
  for (const [i, a] of accelerators.entries()) {
    if (!Number.isInteger(a.acceleratorCount) || (a.acceleratorCount as number) < 1)
      return invalid(`resource.guestAccelerators[${i}].acceleratorCount`, a.acceleratorCount, 'Must be a positive integer.');
  }
  const sched = checkScheduling((body.scheduling as Json | undefined) ?? {}, accelerators.length > 0);
  if (sched) return sched;
  for (const [i, item] of (((body.metadata as Json | undefined)?.items as Json[] | undefined) ?? []).entries()) {
    if (typeof item.key !== 'string' || !METADATA_KEY.test(item.key))
      return invalid(`resource.metadata.items[${i}].key`, item.key, 'Metadata keys must match [a-zA-Z0-9-_]{1,128}.');
  }
  return undefined;
}

function checkAllowed(allowed: unknown): GcpInvalid | undefined {
  if (!Array.isArray(allowed) || !allowed.length) return required('resource.allowed');
  for (const [i, a] of (allowed as Json[]).entries()) {
    if (!a.IPProtocol) return required(`resource.allowed[${i}].IPProtocol`);
    for (const [j, p] of ((a.ports as unknown[] | undefined) ?? []).entries()) {
      const m = PORT_RANGE.exec(String(p));
      if (!m || Number(m[1]) > 65535 || Number(m[2] ?? m[1]) > 65535 || Number(m[2] ?? m[1]) < Number(m[1])) {
        return invalid(`resource.allowed[${i}].ports[${j}]`, p, 'Invalid port specification: ports must be a number or a range lo-hi within 0-65535.');
      }
    }
  }
  return undefined;
}

/** The first problem real GCP reports for a firewalls.insert body, if any. */
export function validateFirewall(body: Json): GcpInvalid | undefined {
  const name = checkName('resource.name', body.name);
  if (name) return name;
  if (body.direction !== undefined && body.direction !== 'INGRESS' && body.direction !== 'EGRESS')
    return invalid('resource.direction', body.direction, 'Must be one of [INGRESS, EGRESS].');
  for (const [i, t] of ((body.targetTags as unknown[] | undefined) ?? []).entries()) {
    const bad = checkName(`resource.targetTags[${i}]`, t);
    if (bad) return bad;
  }
  return checkAllowed(body.allowed);
}

/** firewalls.patch carries only the fields it changes. */
export function validateFirewallPatch(body: Json): GcpInvalid | undefined {
  return body.allowed === undefined ? undefined : checkAllowed(body.allowed);
}
