/** Shapes shared by the configuration layers (see README.md beside this file). */

/** A config mapping as SkyPilot reads it (YAML 1.1, plain JSON values). */
export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigMap;
export interface ConfigMap {
  [key: string]: ConfigValue;
}

/** Where one value came from: a file (with its line) or a `--config key=value` flag. */
export interface Origin {
  /** A file path, or `--config` for a key=value override. */
  source: string;
  /** 1-based line in `source`, when it is a file. */
  line?: number;
}

/**
 * Provenance of every leaf (scalar, list, or empty mapping), keyed by pathKey(path).
 * A list merged by SkyPilot's pod_config rules (appended) has the origins of each layer.
 */
export type Origins = Map<string, Origin[]>;

/** One layer, lowest priority first when in a list. */
export interface ConfigLayer {
  /** 'snapshot' is a resolved configuration handed to a child process (SKYDECK_CONFIG). */
  kind: 'snapshot' | 'user' | 'project' | 'task' | 'cli';
  /** What `config show` calls it: a path, or `--config`. */
  source: string;
  value: ConfigMap;
  origins: Origins;
}

/** A problem in a config source, placed on the exact node. */
export interface ConfigProblem {
  source: string;
  /** 1-based line and column; absent for problems with no text (a key=value flag). */
  line?: number;
  column?: number;
  /** Offsets in the source text (the editor's range). */
  start: number;
  end: number;
  message: string;
  severity: 'error' | 'warning';
  code: string;
}

/** A key SkyDeck reads but does not act on: never silent (README.md, "Honoured keys"). */
export interface ConfigWarning {
  /** Dotted key, e.g. `docker.run_options`. */
  key: string;
  origin: Origin;
  message: string;
}

export interface ResolvedConfig {
  config: ConfigMap;
  origins: Origins;
  /** The layers that were found, lowest priority first. */
  layers: ConfigLayer[];
  warnings: ConfigWarning[];
}

/** Stable map key of a path (keys may contain dots, e.g. annotation names). */
export function pathKey(path: readonly string[]): string {
  return JSON.stringify(path);
}

export function keyPath(key: string): string[] {
  return JSON.parse(key) as string[];
}

export function isConfigMap(v: unknown): v is ConfigMap {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function formatOrigin(o: Origin): string {
  return o.line !== undefined ? `${o.source}:${o.line}` : o.source;
}
