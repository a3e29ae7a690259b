/**
 * The resources candidates of a task as written (source nodes, for diagnostics): each
 * `any_of` / `ordered` item over the shared fields, or the shared fields alone. SkyPilot builds
 * one Resources per candidate and checks each; so do the rules that use this.
 */
import { parseAccelerators, parseInfra, parsePorts } from './values';
import { entryOf, isNullNode, type Plain, type VEntry, type VMap } from './yamlTree';

export interface CandidateView {
  /** The item (or the shared resources when there are no alternatives). */
  node: VMap;
  /** A field of this candidate: the item's own, else the shared one. */
  get(key: string): VEntry | undefined;
  /** The fields this candidate sets (its own and the shared ones). */
  keys(): string[];
  /** Lower-case cloud (`kubernetes` for k8s), when infra/cloud names one. */
  cloud?: string;
  /** Accelerator names of this candidate (a set or list gives several). */
  acceleratorNames: string[];
  useSpot: boolean;
  /** Ports opened, as a set of numbers (ranges expanded); undefined when none are given. */
  ports?: Set<number>;
}

type PlainOf = (e: VEntry) => Plain;

export function resourceCandidates(resources: VMap, plainOf: PlainOf): { mode: 'single' | 'any_of' | 'ordered'; list: CandidateView[] } {
  const anyOf = entryOf(resources, 'any_of');
  const ordered = entryOf(resources, 'ordered');
  const alt = anyOf && anyOf.value.kind === 'seq' ? anyOf : ordered && ordered.value.kind === 'seq' ? ordered : undefined;
  const items = alt && alt.value.kind === 'seq' ? alt.value.items.filter((i): i is VMap => i.kind === 'map') : [];
  const mode = alt === undefined || items.length === 0 ? 'single' : alt === anyOf ? 'any_of' : 'ordered';
  const views = mode === 'single' ? [view(resources, undefined, plainOf)] : items.map((i) => view(i, resources, plainOf));
  return { mode, list: views };
}

/** One candidate: its fields are looked up on the item, then on the shared resources. */
class View implements CandidateView {
  cloud?: string;
  acceleratorNames: string[] = [];
  useSpot = false;
  private portsRead = false;
  private portSet: Set<number> | undefined;

  constructor(
    readonly node: VMap,
    private readonly base: VMap | undefined,
    private readonly plainOf: PlainOf,
  ) {}

  /** Read when first asked: only the service and pool checks look at ports. */
  get ports(): Set<number> | undefined {
    if (!this.portsRead) {
      this.portsRead = true;
      this.portSet = portsOf(this.get('ports'), this.plainOf);
    }
    return this.portSet;
  }

  get(key: string): VEntry | undefined {
    const own = entryOf(this.node, key);
    if (own && !isNullNode(own.value)) return own;
    const shared = this.base ? entryOf(this.base, key) : undefined;
    return shared && !isNullNode(shared.value) ? shared : undefined;
  }

  keys(): string[] {
    return [...new Set([...(this.base?.entries ?? []), ...this.node.entries].map((e) => e.key))].filter((k) => this.get(k) !== undefined);
  }
}

function view(node: VMap, base: VMap | undefined, plainOf: PlainOf): CandidateView {
  const out = new View(node, base, plainOf);
  const infra = out.get('infra');
  const cloud = out.get('cloud');
  try {
    if (infra && infra.value.kind === 'scalar' && typeof infra.value.value === 'string') out.cloud = parseInfra(infra.value.value).cloud;
    else if (cloud && cloud.value.kind === 'scalar' && typeof cloud.value.value === 'string') {
      const c = cloud.value.value.toLowerCase();
      out.cloud = c === 'k8s' ? 'kubernetes' : c;
    }
  } catch {
    // A malformed infra is reported by its own rule.
  }
  const acc = out.get('accelerators') ?? out.get('gpus');
  if (acc) {
    try {
      out.acceleratorNames = parseAccelerators(plainOf(acc))?.requests.map((r) => r.name) ?? [];
    } catch {
      // Reported by the accelerators rule.
    }
  }
  const spot = out.get('use_spot');
  out.useSpot = spot?.value.kind === 'scalar' && spot.value.value === true;
  return out;
}

function portsOf(entry: VEntry | undefined, plainOf: PlainOf): Set<number> | undefined {
  if (!entry) return undefined;
  try {
    const ranges = parsePorts(plainOf(entry));
    if (!ranges) return undefined;
    const ports = new Set<number>();
    for (const r of ranges) {
      const [a, b] = r.split('-').map(Number);
      for (let p = a; p <= (b ?? a) && ports.size <= 65535; p++) ports.add(p);
    }
    return ports;
  } catch {
    // Reported by the ports rule.
    return undefined;
  }
}
