/**
 * SkyPilot's env-var substitution (sky/task.py `_fill_in_env_vars`): `$VAR` and `${VAR}`
 * from envs ∪ inline secrets are replaced in file_mounts, service, workdir and volumes
 * (keys and string values); unknown names are left as written. No `${VAR:-default}`.
 */
import type { VNode } from './yamlTree';

const VAR_RE = /\$\{?\b([a-zA-Z_][a-zA-Z0-9_]*)\b\}?/g;

function substituteString(s: string, vars: ReadonlyMap<string, string>): string {
  if (!s.includes('$')) return s;
  return s.replace(VAR_RE, (whole, name: string) => {
    const v = vars.get(name);
    return v === undefined ? whole : v;
  });
}

/** A copy of the tree with strings substituted; ranges still point at the original text. */
export function substituteNode(node: VNode, vars: ReadonlyMap<string, string>): VNode {
  if (vars.size === 0) return node;
  if (node.kind === 'scalar') {
    if (typeof node.value !== 'string' || !node.value.includes('$')) return node;
    return { ...node, value: substituteString(node.value, vars) };
  }
  if (node.kind === 'seq') return { ...node, items: node.items.map((n) => substituteNode(n, vars)) };
  return {
    ...node,
    entries: node.entries.map((e) => ({ ...e, key: substituteString(e.key, vars), value: substituteNode(e.value, vars) })),
  };
}

/** Python's str() of a YAML scalar, as SkyPilot stringifies envs/secrets values. */
export function pythonStr(v: string | number | boolean): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' && Number.isInteger(v) && !Object.is(v, -0) && Math.abs(v) < 1e16) return String(v);
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return 'nan';
    if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
    const s = String(v);
    return /[.e]/.test(s) ? s.replace(/e\+?/, 'e+').replace('e+-', 'e-') : `${s}.0`;
  }
  return v;
}

/** Python's repr() of a string (the quoting str() of a list or dict uses for its items). */
function pythonReprString(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t').split(quote).join(`\\${quote}`);
  return `${quote}${body}${quote}`;
}

type PlainValue = string | number | boolean | null | PlainValue[] | { [k: string]: PlainValue };

/** Python's str() of any YAML value: lists and mappings as `[1, 'a']` / `{'k': True}`, as SkyPilot turns envs values into strings. */
export function pythonStrAny(v: PlainValue): string {
  if (v === null) return 'None';
  if (Array.isArray(v)) return `[${v.map(pythonReprAny).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${pythonReprString(k)}: ${pythonReprAny(x)}`)
      .join(', ')}}`;
  return pythonStr(v);
}

function pythonReprAny(v: PlainValue): string {
  return typeof v === 'string' ? pythonReprString(v) : pythonStrAny(v);
}
