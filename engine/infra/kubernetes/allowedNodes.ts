/**
 * `kubernetes.allowed_nodes` (also per context under `context_configs`): the nodes SkyDeck may
 * use, as SkyPilot reads it (sky/provision/kubernetes/utils.py `_filter_allowed_nodes`,
 * `inject_allowed_nodes_affinity`). A node is allowed when it has ANY of the label pairs of
 * `label_selector`, OR its name is in `names`, OR one of its addresses is in `ips` (unlike a
 * Kubernetes label selector, whose pairs are ANDed); an empty block allows every node.
 *
 * The nodes the provider looks at (GPU labels, FUSE device plugin, free GPUs) are the allowed
 * ones, and every pod gets a required node affinity so the scheduler keeps to them: one
 * expression per label pair, plus `kubernetes.io/hostname In [...]` for the nodes `names`/`ips`
 * match now, each ORed with the others and ANDed with the affinity the pod already has.
 */
import type { V1Node, V1NodeSelectorTerm, V1Pod } from '@kubernetes/client-node';
import { activeOrigins } from '../../config/active';
import { originOf } from '../../config/honoured';
import { formatOrigin, isConfigMap, type ConfigValue } from '../../config/types';
import { ProvisionError } from '../provider';

export interface AllowedNodes {
  labelSelector: Record<string, string>;
  names: string[];
  ips: string[];
}

const HOSTNAME_LABEL = 'kubernetes.io/hostname';

function strings(v: ConfigValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** The block as configured (undefined when unset; the schema checked its types). */
export function parseAllowedNodes(v: ConfigValue | undefined): AllowedNodes | undefined {
  if (!isConfigMap(v)) return undefined;
  const labelSelector: Record<string, string> = {};
  if (isConfigMap(v.label_selector)) for (const [k, val] of Object.entries(v.label_selector)) if (typeof val === 'string') labelSelector[k] = val;
  return { labelSelector, names: strings(v.names), ips: strings(v.ips) };
}

function isEmpty(a: AllowedNodes): boolean {
  return !Object.keys(a.labelSelector).length && !a.names.length && !a.ips.length;
}

function byNameOrIp(node: V1Node, a: AllowedNodes): boolean {
  if (a.names.includes(node.metadata?.name ?? '')) return true;
  return (node.status?.addresses ?? []).some((addr) => a.ips.includes(addr.address));
}

function allowed(node: V1Node, a: AllowedNodes): boolean {
  const labels = node.metadata?.labels ?? {};
  return Object.entries(a.labelSelector).some(([k, v]) => labels[k] === v) || byNameOrIp(node, a);
}

/** The nodes pods may use (all of them when nothing is configured). */
export function filterAllowedNodes(nodes: V1Node[], a: AllowedNodes | undefined): V1Node[] {
  return !a || isEmpty(a) ? nodes : nodes.filter((n) => allowed(n, a));
}

/** Where the block was set, for errors (`kubernetes.allowed_nodes (file:line)`). */
export function allowedNodesSource(context: string): string {
  const origins = activeOrigins();
  for (const path of [
    ['kubernetes', 'context_configs', context, 'allowed_nodes'],
    ['kubernetes', 'allowed_nodes'],
  ]) {
    for (const leaf of ['names', 'ips', 'label_selector']) {
      const o = originOf(origins, [...path, leaf]);
      if (o) return `${path.join('.')} (${formatOrigin(o)})`;
    }
  }
  return 'kubernetes.allowed_nodes';
}

type Expression = { key: string; operator: string; values: string[] };

/**
 * The node affinity expressions of the allowed nodes, one per alternative (empty: no
 * restriction). `nodes` are all the context's nodes: names and IPs are resolved to their
 * hostname labels on them. None matching, with no label pairs to fall back on, refuses this
 * context (failover goes on, as SkyPilot's ResourcesUnavailableError).
 */
export function allowedNodesExpressions(a: AllowedNodes | undefined, nodes: V1Node[], context: string): Expression[] {
  if (!a || isEmpty(a)) return [];
  const expressions = Object.entries(a.labelSelector).map(([key, value]) => ({ key, operator: 'In', values: [value] }));
  if (a.names.length || a.ips.length) {
    const hostnames = new Set(nodes.filter((n) => byNameOrIp(n, a)).map((n) => n.metadata?.labels?.[HOSTNAME_LABEL] ?? n.metadata?.name ?? ''));
    hostnames.delete('');
    if (!hostnames.size && !expressions.length)
      throw new ProvisionError('config', 'region', `No node of Kubernetes context '${context}' matches ${allowedNodesSource(context)}.`, {
        hint: 'Check the node names and IPs there against `kubectl get nodes -o wide`.',
      });
    if (hostnames.size) expressions.push({ key: HOSTNAME_LABEL, operator: 'In', values: [...hostnames].sort() });
  }
  return expressions;
}

/** Each expression ORed with the others and ANDed with the pod's own required node affinity. */
export function applyAllowedNodesAffinity(pod: V1Pod, expressions: Expression[]): V1Pod {
  if (!expressions.length) return pod;
  const spec = pod.spec!;
  const required = (((spec.affinity ??= {}).nodeAffinity ??= {}).requiredDuringSchedulingIgnoredDuringExecution ??= { nodeSelectorTerms: [] });
  const base: V1NodeSelectorTerm[] = required.nodeSelectorTerms.length ? required.nodeSelectorTerms : [{}];
  required.nodeSelectorTerms = expressions.flatMap((e) =>
    base.map((t) => {
      const term = structuredClone(t);
      term.matchExpressions = [...(term.matchExpressions ?? []), e];
      return term;
    }),
  );
  return pod;
}
