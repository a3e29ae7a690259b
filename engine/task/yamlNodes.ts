/**
 * The node types of the source tree that yamlTree.ts builds and fastYaml.ts builds the same way:
 * a JSON-like tree with the source offsets of every node and key.
 */
export interface VScalar {
  kind: 'scalar';
  value: string | number | boolean | null;
  /** true when written quoted or as a block scalar (a string by construction). */
  quoted: boolean;
  start: number;
  end: number;
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
