/**
 * The node types of the source tree that yamlTree.ts builds and fastYaml.ts builds the same way:
 * a JSON-like tree with the source offsets of every node and key.
 */
export interface VScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  /** true when written quoted or as a block scalar (a string by construction). */
  quoted: boolean;
  /** A YAML float (`4.0`, `1.0e+3`): Python keeps it a float where a whole number is required. */
  float?: true;
  start: number;
  end: number;
}

/** PyYAML's YAML 1.1 int and float patterns: a float needs a dot, so `1e3` is a string. */
const PY_INT_SCALAR = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT_SCALAR =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** A plain scalar the yaml package typed as a number, corrected to PyYAML: a string, or a number marked float. */
export function plainNumber(source: string, value: number, start: number, end: number): VScalar {
  const s = source.trim();
  if (PY_FLOAT_SCALAR.test(s)) return { kind: 'scalar', value, quoted: false, float: true, start, end };
  if (PY_INT_SCALAR.test(s)) return { kind: 'scalar', value, quoted: false, start, end };
  return { kind: 'scalar', value: s, quoted: false, start, end };
}

/** Python's str() of a float: 4.0 -> '4.0', 1e16 -> '1e+16'. */
export function pyFloatStr(n: number): string {
  if (Number.isNaN(n)) return 'nan';
  if (!Number.isFinite(n)) return n > 0 ? 'inf' : '-inf';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  return String(n);
}

export interface VEntry {
  key: string;
  keyStart: number;
  keyEnd: number;
  value: VNode;
}

export interface VMap {
  kind: 'map';
  entries: VEntry[];
  flow: boolean;
  start: number;
  end: number;
}

export interface VSeq {
  kind: 'seq';
  items: VNode[];
  flow: boolean;
  start: number;
  end: number;
}

export type VNode = VScalar | VMap | VSeq;

export interface SyntaxProblem {
  start: number;
  end: number;
  message: string;
  severity: 'error' | 'warning';
}

export interface VDocument {
  /** undefined for an empty document (comments only). */
  root?: VNode;
  start: number;
  end: number;
  problems: SyntaxProblem[];
}
