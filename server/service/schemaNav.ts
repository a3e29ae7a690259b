/**
 * Walking the task schema by a document path (keys and `[i]` list indices): which schema
 * describes this key or value, its docs, its known keys and its enum values.
 */
import type { JSONSchema, JSONType } from '../../engine/task/schema/jsonSchema';
import { taskSchema } from '../../engine/task/schema/taskSchema';
import { resolveRef } from '../../engine/task/schema/validator';

export const ROOT_SCHEMA = taskSchema;

export function resolve(s: JSONSchema): JSONSchema {
  return resolveRef(ROOT_SCHEMA, s);
}

function types(s: JSONSchema): JSONType[] {
  if (!s.type) return [];
  return Array.isArray(s.type) ? s.type : [s.type];
}

/** The alternative of a schema that has this shape (objects for keys, arrays for items). */
export function branch(s0: JSONSchema, want: 'object' | 'array' | 'scalar'): JSONSchema | undefined {
  const s = resolve(s0);
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    for (const a of alts) {
      const b = branch(a, want);
      if (b) return b;
    }
    return undefined;
  }
  const t = types(s);
  if (want === 'object' && (t.includes('object') || (!t.length && (s.properties || s.additionalProperties !== undefined)))) return s;
  if (want === 'array' && (t.includes('array') || (!t.length && s.items))) return s;
  if (want === 'scalar' && (t.some((x) => x !== 'object' && x !== 'array' && x !== 'null') || (!t.length && !s.properties && !s.items && !s.enum))) return s;
  return undefined;
}

/** Schema of the value at `path` (keys, and '[i]' or '[]' for list items). */
export function schemaAt(path: string[], root: JSONSchema = ROOT_SCHEMA): JSONSchema | undefined {
  let cur: JSONSchema | undefined = root;
  for (const seg of path) {
    if (!cur) return undefined;
    if (/^\[\d*\]$/.test(seg)) {
      const arr = branch(cur, 'array');
      cur = arr?.items;
      continue;
    }
    const obj = branch(cur, 'object');
    if (!obj) return undefined;
    cur = propertySchema(obj, seg);
  }
  return cur ? resolve(cur) : undefined;
}

export function propertySchema(obj: JSONSchema, key: string): JSONSchema | undefined {
  if (obj.properties?.[key]) return obj.properties[key];
  if (obj.patternProperties) {
    for (const [pat, s] of Object.entries(obj.patternProperties)) {
      try {
        if (new RegExp(pat, 'u').test(key)) return s;
      } catch {
        // ignore a bad pattern
      }
    }
  }
  return typeof obj.additionalProperties === 'object' ? obj.additionalProperties : undefined;
}

export function docOf(s: JSONSchema): string | undefined {
  const r = resolve(s);
  if (r.markdownDescription ?? r.description) return r.markdownDescription ?? r.description;
  for (const a of r.anyOf ?? r.oneOf ?? []) {
    const d = resolve(a).markdownDescription ?? resolve(a).description;
    if (d) return d;
  }
  return undefined;
}

/** Enum-like values a scalar may take (case-insensitive enums, enums, booleans). */
export function enumValues(s0: JSONSchema): string[] {
  const s = resolve(s0);
  const out: string[] = [];
  const alts = s.anyOf ?? s.oneOf;
  if (alts) for (const a of alts) out.push(...enumValues(a));
  if (s.caseInsensitiveEnum) out.push(...s.caseInsensitiveEnum);
  else if (s.enum) for (const e of s.enum) if (e !== null) out.push(String(e));
  if (types(s).includes('boolean')) out.push('true', 'false');
  return [...new Set(out)];
}

export function examplesOf(s0: JSONSchema): unknown[] {
  const s = resolve(s0);
  return s.examples ?? [];
}

/** Kind of value a key takes, for the text inserted after `key:`. */
export function valueShape(s0: JSONSchema): 'object' | 'array-of-objects' | 'array' | 'block-string' | 'scalar' {
  const s = resolve(s0);
  const scalar = branch(s, 'scalar');
  const obj = branch(s, 'object');
  const arr = branch(s, 'array');
  if (obj && !scalar) return 'object';
  if (arr && !scalar && !obj) {
    const items = arr.items ? resolve(arr.items) : undefined;
    return items && branch(items, 'object') && !branch(items, 'scalar') ? 'array-of-objects' : 'array';
  }
  return 'scalar';
}

export function formatExample(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}
