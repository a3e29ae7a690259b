/**
 * What the Kubernetes API server checks in the objects SkyDeck creates (pods, services,
 * namespaces), answered as it answers. A resource quantity that does not parse fails
 * decoding: 400 BadRequest "Pod in version "v1" cannot be handled as a Pod: quantities must
 * match the regular expression ...". Everything else is field validation: 422 Invalid,
 * `<Kind> "<name>" is invalid: <field>: Invalid value: ...` with details.causes.
 * Sources: https://kubernetes.io/docs/concepts/overview/working-with-objects/names/,
 * .../labels/#syntax-and-character-set, https://kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity/,
 * https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/.
 */
import { QUANTITY_SUFFIXES as SUFFIX } from '../../../../engine/infra/kubernetes/quantity';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface KubeRejection {
  code: 400 | 422;
  reason: 'BadRequest' | 'Invalid';
  message: string;
  causes?: { reason: string; message: string; field: string }[];
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const QUANTITY_TEXT = "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;
const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** A quantity's value (cores, bytes, devices), or undefined when it does not parse. */
export function parseQuantity(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  const m = QUANTITY.exec(String(q));
  if (!m || !/^\d*\.?\d*$/.test(m[1].replace(/^[+-]/, '')) || m[1].replace(/^[+-]/, '') === '.') return undefined;
  const suffix = m[2];
  const exp = /^[eE]([-+]?\d+)$/.exec(suffix);
  if (exp) return Number(m[1]) * 10 ** Number(exp[1]);
  return suffix in SUFFIX ? Number(m[1]) * SUFFIX[suffix] : undefined;
}

class Problems {
  readonly causes: { reason: string; message: string; field: string }[] = [];
  invalid(field: string, value: unknown, why: string): void {
    this.causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${why}`, field });
  }
  required(field: string): void {
    this.causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
  }
  reject(kind: string, name: unknown): KubeRejection | undefined {
    if (!this.causes.length) return undefined;
    const list = this.causes.map((c) => `${c.field}: ${c.message}`);
    return {
      code: 422,
      reason: 'Invalid',
      message: `${kind} "${String(name ?? '')}" is invalid: ${list.length === 1 ? list[0] : `[${list.join(', ')}]`}`,
      causes: this.causes,
    };
  }
}

function checkName(p: Problems, value: unknown, rule: 'subdomain' | 'label' | 'dns1035'): void {
  const field = 'metadata.name';
  if (!value) return p.required(field);
  const s = String(value);
  if (rule === 'subdomain' && (s.length > 253 || !DNS1123_SUBDOMAIN.test(s))) {
    p.invalid(
      field,
      s,
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
    );
  }
  if (rule === 'label' && (s.length > 63 || !DNS1123_LABEL.test(s))) {
    p.invalid(
      field,
      s,
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
    );
  }
  if (rule === 'dns1035' && (s.length > 63 || !DNS1035_LABEL.test(s))) {
    p.invalid(
      field,
      s,
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
    );
  }
}

function checkLabels(p: Problems, labels: unknown, field: string): void {
  for (const [k, v] of Object.entries((labels ?? {}) as Record<string, unknown>)) {
    const slash = k.lastIndexOf('/');
    const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    if (prefix !== undefined && (prefix.length > 253 || !DNS1123_SUBDOMAIN.test(prefix)))
      p.invalid(field, k, "prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
    else if (name.length > 63 || !QUALIFIED_NAME.test(name))
      p.invalid(
        field,
        k,
        "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)",
      );
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
      p.invalid(
        `${field}`,
        v,
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (at most 63)",
      );
  }
}

/** The decode error for the first quantity that does not parse, as the API server reports it. */
function badQuantity(kind: string, containers: Json[]): KubeRejection | undefined {
  for (const c of containers) {
    for (const part of ['requests', 'limits']) {
      for (const v of Object.values((c.resources?.[part] ?? {}) as Record<string, unknown>)) {
        if (parseQuantity(v) === undefined) {
          const why = QUANTITY.test(String(v)) ? "unable to parse quantity's suffix" : `quantities must match the regular expression ${QUANTITY_TEXT}`;
          return { code: 400, reason: 'BadRequest', message: `${kind} in version "v1" cannot be handled as a ${kind}: ${why}` };
        }
      }
    }
  }
  return undefined;
}

export function validatePod(pod: Json): KubeRejection | undefined {
  const containers = (pod.spec?.containers ?? []) as Json[];
  const decode = badQuantity('Pod', containers);
  if (decode) return decode;
  const p = new Problems();
  checkName(p, pod.metadata?.name, 'subdomain');
  checkLabels(p, pod.metadata?.labels, 'metadata.labels');
  if (!containers.length) p.required('spec.containers');
  const names = new Set<string>();
  containers.forEach((c, i) => {
    const f = `spec.containers[${i}]`;
    if (!c.name) p.required(`${f}.name`);
    else if (String(c.name).length > 63 || !DNS1123_LABEL.test(String(c.name)))
      p.invalid(`${f}.name`, c.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'");
    else if (names.has(c.name)) p.causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(c.name)}`, field: `${f}.name` });
    names.add(c.name);
    if (!c.image) p.required(`${f}.image`);
    for (const [j, e] of ((c.env ?? []) as Json[]).entries())
      if (!ENV_NAME.test(String(e.name ?? '')))
        p.invalid(
          `${f}.env[${j}].name`,
          e.name,
          "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit",
        );
    for (const [j, port] of ((c.ports ?? []) as Json[]).entries()) {
      if (!Number.isInteger(port.containerPort) || port.containerPort < 1 || port.containerPort > 65535)
        p.invalid(`${f}.ports[${j}].containerPort`, port.containerPort, 'must be between 1 and 65535, inclusive');
      if (port.name !== undefined && (String(port.name).length > 15 || !PORT_NAME.test(String(port.name)) || !/[a-z]/.test(String(port.name))))
        p.invalid(
          `${f}.ports[${j}].name`,
          port.name,
          "must be no more than 15 characters, contain only lowercase alphanumerics and '-', and at least one letter",
        );
    }
    const requests = (c.resources?.requests ?? {}) as Record<string, unknown>;
    const limits = (c.resources?.limits ?? {}) as Record<string, unknown>;
    for (const [part, values] of [
      ['requests', requests],
      ['limits', limits],
    ] as const) {
      for (const [k, v] of Object.entries(values))
        if ((parseQuantity(v) as number) < 0) p.invalid(`${f}.resources.${part}[${k}]`, String(v), 'must be greater than or equal to 0');
    }
    for (const [k, v] of Object.entries(requests)) {
      const extended = k.includes('/') && !k.startsWith('kubernetes.io/');
      if (extended) {
        if (!Number.isInteger(parseQuantity(v))) p.invalid(`${f}.resources.requests[${k}]`, String(v), 'must be an integer');
        if (limits[k] === undefined) p.required(`${f}.resources.limits[${k}]`);
        else if (parseQuantity(limits[k]) !== parseQuantity(v))
          p.invalid(`${f}.resources.requests[${k}]`, String(v), `must be equal to ${k} limit of ${String(limits[k])}`);
      } else if (limits[k] !== undefined && (parseQuantity(v) as number) > (parseQuantity(limits[k]) as number)) {
        p.invalid(`${f}.resources.requests`, String(v), `must be less than or equal to ${k} limit of ${String(limits[k])}`);
      }
    }
  });
  checkLabels(p, pod.spec?.nodeSelector, 'spec.nodeSelector');
  // Volumes: unique DNS-1123 names; every mount names a volume of the pod at an absolute path.
  const volumeNames = new Set<string>();
  ((pod.spec?.volumes ?? []) as Json[]).forEach((v, i) => {
    if (!v.name || !DNS1123_LABEL.test(String(v.name)))
      p.invalid(`spec.volumes[${i}].name`, v.name, "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'");
    else if (volumeNames.has(v.name))
      p.causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(v.name)}`, field: `spec.volumes[${i}].name` });
    volumeNames.add(v.name);
    if (v.persistentVolumeClaim && !v.persistentVolumeClaim.claimName) p.required(`spec.volumes[${i}].persistentVolumeClaim.claimName`);
  });
  containers.forEach((c, i) =>
    ((c.volumeMounts ?? []) as Json[]).forEach((m, j) => {
      const f = `spec.containers[${i}].volumeMounts[${j}]`;
      if (!volumeNames.has(m.name)) p.causes.push({ reason: 'FieldValueNotFound', message: `Not found: ${JSON.stringify(m.name)}`, field: `${f}.name` });
      if (!m.mountPath) p.required(`${f}.mountPath`);
      if (m.subPath !== undefined && (String(m.subPath).startsWith('/') || String(m.subPath).split('/').includes('..')))
        p.invalid(`${f}.subPath`, m.subPath, "must be a relative path without '..'");
    }),
  );
  return p.reject('Pod', pod.metadata?.name);
}

export function validateService(svc: Json): KubeRejection | undefined {
  const p = new Problems();
  checkName(p, svc.metadata?.name, 'dns1035');
  checkLabels(p, svc.metadata?.labels, 'metadata.labels');
  checkLabels(p, svc.spec?.selector, 'spec.selector');
  const type = svc.spec?.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type))
    p.invalid('spec.type', type, 'supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"');
  const ports = (svc.spec?.ports ?? []) as Json[];
  if (!ports.length && type !== 'ExternalName' && svc.spec?.clusterIP !== 'None') p.required('spec.ports');
  ports.forEach((port, i) => {
    if (!Number.isInteger(port.port) || port.port < 1 || port.port > 65535)
      p.invalid(`spec.ports[${i}].port`, port.port, 'must be between 1 and 65535, inclusive');
    if (ports.length > 1 && !port.name) p.required(`spec.ports[${i}].name`);
    if (port.nodePort !== undefined && (port.nodePort < 30000 || port.nodePort > 32767))
      p.invalid(`spec.ports[${i}].nodePort`, port.nodePort, 'provided port is not in the valid range. The range of valid ports is 30000-32767');
  });
  return p.reject('Service', svc.metadata?.name);
}

const PVC_ACCESS_MODES = ['ReadWriteOnce', 'ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOncePod'];

export function validatePersistentVolumeClaim(pvc: Json): KubeRejection | undefined {
  const p = new Problems();
  checkName(p, pvc.metadata?.name, 'subdomain');
  checkLabels(p, pvc.metadata?.labels, 'metadata.labels');
  const modes = (pvc.spec?.accessModes ?? []) as unknown[];
  if (!modes.length) p.required('spec.accessModes');
  modes.forEach((m) => {
    if (!PVC_ACCESS_MODES.includes(String(m)))
      p.causes.push({ reason: 'FieldValueNotSupported', message: `Unsupported value: ${JSON.stringify(m)}`, field: 'spec.accessModes' });
  });
  const storage = pvc.spec?.resources?.requests?.storage;
  if (storage === undefined) p.required('spec.resources[storage]');
  else if (!((parseQuantity(storage) as number) > 0)) p.invalid('spec.resources[storage]', String(storage), 'must be greater than zero');
  return p.reject('PersistentVolumeClaim', pvc.metadata?.name);
}

export function validateNamespace(ns: Json): KubeRejection | undefined {
  const p = new Problems();
  checkName(p, ns.metadata?.name, 'label');
  checkLabels(p, ns.metadata?.labels, 'metadata.labels');
  return p.reject('Namespace', ns.metadata?.name);
}
