/**
 * A JSON-Schema walker over the source tree (yamlTree.ts), in the spirit of
 * yaml-language-server's own validator: each problem lands on the most precise node
 * (value for type/enum/pattern/range, key for unknown keys, the parent key for a missing
 * required key). anyOf picks the best branch by type, so shorthands (string | mapping)
 * get one clear message instead of "matches none of the schemas".
 */
import { closeMatches } from '../difflib';
import { SKIP_NONE, type JSONSchema, type JSONType } from './jsonSchema';
import type { VMap, VNode } from '../yamlTree';

export interface SchemaProblem {
  start: number;
  end: number;
  message: string;
  code: string;
  severity: 'error' | 'warning';
  /** For unknown keys: the suggested replacement key. */
  suggestion?: string;
}

export interface WalkContext {
  root: JSONSchema;
  problems: SchemaProblem[];
  /** Subtrees replaced before validation (env substitution), keyed by the original node. */
  replace?: Map<VNode, VNode>;
}

/** Where a node hangs: the key that owns it (for "missing required" and path names). */
export interface Owner {
  path: string[];
  keyStart: number;
  keyEnd: number;
}

/**
 * The walk's own Owner: the path as a chain of segments, spelled out only when a message
 * needs it (most nodes have no problem, and copying the path at every key cost the walk).
 */
interface At {
  parent: At | undefined;
  /** This level's segment (a key, or `[i]`); undefined at the walk's start. */
  seg: string | undefined;
  /** The path the walk started from. */
  base: string[];
  keyStart: number;
  keyEnd: number;
}

function pathOf(at: At): string[] {
  const segs: string[] = [];
  for (let a: At | undefined = at; a; a = a.parent) if (a.seg !== undefined) segs.push(a.seg);
  return [...at.base, ...segs.reverse()];
}

function atRoot(at: At): boolean {
  return at.parent === undefined && at.base.length === 0;
}

const regexCache = new Map<string, RegExp | null>();
function regex(src: string): RegExp | null {
  let r = regexCache.get(src);
  if (r === undefined) {
    try {
      r = new RegExp(src, 'u');
    } catch {
      r = null;
    }
    regexCache.set(src, r);
  }
  return r;
}

const resolvedRefs = new WeakMap<JSONSchema, JSONSchema>();

export function resolveRef(root: JSONSchema, s: JSONSchema): JSONSchema {
  if (!s.$ref) return s;
  const cached = resolvedRefs.get(s);
  if (cached) return cached;
  let cur = s;
  for (let i = 0; i < 10 && cur.$ref; i++) {
    const m = /^#\/definitions\/(.+)$/.exec(cur.$ref);
    const target = m ? root.definitions?.[m[1]] : undefined;
    if (!target) {
      cur = {};
      break;
    }
    const { $ref: _r, ...rest } = cur;
    cur = { ...target, ...rest };
  }
  resolvedRefs.set(s, cur);
  return cur;
}

function nodeType(node: VNode): JSONType {
  if (node.kind === 'map') return 'object';
  if (node.kind === 'seq') return 'array';
  const v = node.value;
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return 'string';
}

const typeLists = new WeakMap<JSONSchema, JSONType[]>();
/** A schema's `type` as a list (kept per schema: the walk asks at every node). */
function typesOf(s: JSONSchema): JSONType[] {
  let types = typeLists.get(s);
  if (!types) {
    types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    typeLists.set(s, types);
  }
  return types;
}

function typeMatches(actual: JSONType, expected: JSONType): boolean {
  return actual === expected || (expected === 'number' && actual === 'integer');
}

const TYPE_WORDS: Record<JSONType, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'an integer',
  boolean: 'a boolean',
  null: 'null',
  object: 'a mapping',
  array: 'a list',
};

function listWords(words: string[]): string {
  const uniq = [...new Set(words)];
  if (uniq.length <= 1) return uniq[0] ?? '';
  return `${uniq.slice(0, -1).join(', ')} or ${uniq[uniq.length - 1]}`;
}

function pathName(path: string[]): string {
  if (!path.length) return 'the task';
  let out = '';
  for (const seg of path) out += seg.startsWith('[') ? seg : out ? `.${seg}` : seg;
  return out;
}

function valueText(node: VNode): string {
  if (node.kind !== 'scalar') return node.kind === 'map' ? 'a mapping' : 'a list';
  return node.value === null ? 'null' : typeof node.value === 'string' ? `'${node.value}'` : String(node.value);
}

const acceptedCache = new WeakMap<JSONSchema, JSONType[] | null>();

/** Types a schema accepts (through anyOf/oneOf), or undefined when it accepts anything. */
function acceptedTypes(root: JSONSchema, s0: JSONSchema): JSONType[] | undefined {
  const cached = acceptedCache.get(s0);
  if (cached !== undefined) return cached ?? undefined;
  const out = computeAccepted(root, s0);
  acceptedCache.set(s0, out ?? null);
  return out;
}

function computeAccepted(root: JSONSchema, s0: JSONSchema): JSONType[] | undefined {
  const s = resolveRef(root, s0);
  if (s.type) return Array.isArray(s.type) ? s.type : [s.type];
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const out: JSONType[] = [];
    for (const a of alts) {
      const t = acceptedTypes(root, a);
      if (!t) return undefined;
      out.push(...t);
    }
    return out;
  }
  if (s.enum) return [...new Set(s.enum.map((v) => (v === null ? 'null' : (typeof v as JSONType))))];
  if (s.properties || s.additionalProperties !== undefined) return ['object'];
  return undefined;
}

export function validateNode(ctx: WalkContext, node0: VNode, s0: JSONSchema, owner: Owner): void {
  walk(ctx, node0, s0, { parent: undefined, seg: undefined, base: owner.path, keyStart: owner.keyStart, keyEnd: owner.keyEnd });
}

function walk(ctx: WalkContext, node0: VNode, s0: JSONSchema, owner: At): void {
  const node = ctx.replace?.get(node0) ?? node0;
  const s = resolveRef(ctx.root, s0);
  const actual = nodeType(node);

  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    validateAlternatives(ctx, node, s, alts, owner);
    return;
  }
  if (s.type) {
    const types = typesOf(s);
    let fits = false;
    for (const t of types) if (typeMatches(actual, t)) fits = true;
    if (!fits) {
      const msg =
        s.errorMessage ??
        `${capital(pathName(pathOf(owner)))} must be ${listWords(types.filter((t) => t !== 'null' || types.length === 1).map((t) => TYPE_WORDS[t]))}, not ${actual === 'null' ? 'empty' : TYPE_WORDS[actual]}${node.kind === 'scalar' && actual !== 'null' ? ` (${valueText(node)})` : ''}.`;
      push(ctx, node, msg, 'type');
      return;
    }
  }
  if (s.const !== undefined && !(node.kind === 'scalar' && node.value === s.const)) {
    push(ctx, node, s.errorMessage ?? `${capital(pathName(pathOf(owner)))} must be ${JSON.stringify(s.const)}.`, 'value');
    return;
  }
  if (node.kind === 'scalar') validateScalar(ctx, node.value, node, s, owner);
  else if (node.kind === 'seq') {
    if (s.minItems !== undefined && node.items.length < s.minItems)
      push(ctx, node, `${capital(pathName(pathOf(owner)))} needs at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}.`, 'value');
    if (s.maxItems !== undefined && node.items.length > s.maxItems)
      push(ctx, node, `${capital(pathName(pathOf(owner)))} allows at most ${s.maxItems} items.`, 'value');
    if (s.uniqueItems) {
      const seen = new Set<string>();
      for (const it of node.items) {
        const k = it.kind === 'scalar' ? JSON.stringify(it.value) : '';
        if (k && seen.has(k)) push(ctx, it, `Duplicate item ${valueText(it)} in ${pathName(pathOf(owner))}.`, 'value');
        seen.add(k);
      }
    }
    if (s.items) {
      const items = s.items;
      node.items.forEach((it, i) => walk(ctx, it, items, { parent: owner, seg: `[${i}]`, base: owner.base, keyStart: owner.keyStart, keyEnd: owner.keyEnd }));
    }
  } else {
    validateMap(ctx, node, s, owner);
  }
}

/** Sentence start: 'The task ...', but field paths keep their spelling ('num_nodes must ...'). */
function capital(s: string): string {
  return s === 'the task' ? 'The task' : s;
}

function push(ctx: WalkContext, node: VNode, message: string, code: string, severity: 'error' | 'warning' = 'error'): void {
  ctx.problems.push({ start: node.start, end: node.end, message, code, severity });
}

/** The field's name for a message, spelled out only when one is written. */
function whereOf(owner: At): string {
  return pathName(pathOf(owner));
}

function validateScalar(ctx: WalkContext, v: string | number | boolean | null, node: VNode, s: JSONSchema, owner: At): void {
  if (s.caseInsensitiveEnum && typeof v === 'string') {
    const lower = v.toLowerCase();
    if (!s.caseInsensitiveEnum.some((e) => e.toLowerCase() === lower)) {
      const near = closeMatches(
        lower,
        s.caseInsensitiveEnum.map((e) => e.toLowerCase()),
        1,
      );
      const hint = near.length ? ` Did you mean '${s.caseInsensitiveEnum.find((e) => e.toLowerCase() === near[0])}'?` : '';
      push(ctx, node, `Invalid ${whereOf(owner)} ${valueText(node)}. Expected one of: ${s.caseInsensitiveEnum.join(', ')}.${hint}`, 'enum');
    }
    return; // the portable pattern beside it says the same thing
  }
  if (s.enum && !s.enum.includes(v)) {
    push(ctx, node, s.errorMessage ?? `Invalid ${whereOf(owner)} ${valueText(node)}. Expected one of: ${s.enum.filter((e) => e !== null).join(', ')}.`, 'enum');
    return;
  }
  if (typeof v === 'string') {
    if (s.minLength !== undefined && v.length < s.minLength) push(ctx, node, `${capital(whereOf(owner))} must not be empty.`, 'value');
    if (s.maxLength !== undefined && v.length > s.maxLength)
      push(ctx, node, `${capital(whereOf(owner))} is too long (at most ${s.maxLength} characters).`, 'value');
    if (s.pattern) {
      const r = regex(s.pattern);
      if (r && !r.test(v))
        push(ctx, node, `Invalid ${whereOf(owner)} ${valueText(node)}. ${s.patternErrorMessage ?? s.errorMessage ?? `It must match ${s.pattern}.`}`, 'pattern');
    }
  } else if (typeof v === 'number') {
    const bad =
      (s.minimum !== undefined && v < s.minimum) || (s.maximum !== undefined && v > s.maximum) || (s.exclusiveMinimum !== undefined && v <= s.exclusiveMinimum);
    if (bad) {
      const bounds: string[] = [];
      if (s.minimum !== undefined) bounds.push(`>= ${s.minimum}`);
      if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
      if (s.maximum !== undefined) bounds.push(`<= ${s.maximum}`);
      push(ctx, node, s.rangeErrorMessage ?? s.errorMessage ?? `${capital(whereOf(owner))} must be ${bounds.join(' and ')}, got ${v}.`, 'range');
    }
  }
}

const isNull = (v: VNode): boolean => v.kind === 'scalar' && v.value === null;

const propertyMaps = new WeakMap<Record<string, JSONSchema>, Map<string, JSONSchema>>();
/** The properties of a schema as a Map kept per schema (a property lookup by a changing key is slow). */
function propertyMapOf(props: Record<string, JSONSchema>): Map<string, JSONSchema> {
  let map = propertyMaps.get(props);
  if (!map) propertyMaps.set(props, (map = new Map(Object.entries(props))));
  return map;
}

/** `props[key]`, through the schema's Map. */
function propertyOf(props: Record<string, JSONSchema>, map: Map<string, JSONSchema>, key: string): JSONSchema | undefined {
  // A key missing from the map is looked up as before (inherited names such as `constructor`).
  return map.get(key) ?? (props[key] as JSONSchema | undefined);
}
const NO_PROPERTIES: Record<string, JSONSchema> = {};

function validateMap(ctx: WalkContext, node: VMap, s: JSONSchema, owner: At): void {
  const props = s.properties ?? NO_PROPERTIES;
  const propMap = propertyMapOf(props);
  const skipNone = s[SKIP_NONE] !== undefined;
  if (s.required) {
    const present = new Set(node.entries.filter((e) => !(skipNone && isNull(e.value))).map((e) => e.key));
    const missing = s.required.filter((r) => !present.has(r));
    if (missing.length) {
      const start = !atRoot(owner) ? owner.keyStart : node.start;
      const end = !atRoot(owner) ? owner.keyEnd : Math.min(node.end, node.start + 1);
      ctx.problems.push({
        start,
        end,
        message: `${capital(whereOf(owner))} is missing the required field${missing.length > 1 ? 's' : ''} ${missing.map((m) => `'${m}'`).join(', ')}.`,
        code: 'missing-required',
        severity: 'error',
      });
    }
  }
  if (s.maxProperties !== undefined && node.entries.length > s.maxProperties) {
    push(ctx, node, `${capital(whereOf(owner))} allows at most ${s.maxProperties} entr${s.maxProperties === 1 ? 'y' : 'ies'}.`, 'value');
  }
  if (s.minProperties !== undefined && node.entries.length < s.minProperties) {
    push(ctx, node, `${capital(whereOf(owner))} needs at least ${s.minProperties} entr${s.minProperties === 1 ? 'y' : 'ies'}.`, 'value');
  }
  for (const e of node.entries) {
    const childOwner: At = { parent: owner, seg: e.key, base: owner.base, keyStart: e.keyStart, keyEnd: e.keyEnd };
    const ps = propertyOf(props, propMap, e.key);
    if (s.propertyNames?.pattern) {
      const r = regex(s.propertyNames.pattern);
      if (r && !r.test(e.key)) {
        ctx.problems.push({
          start: e.keyStart,
          end: e.keyEnd,
          message: `Invalid key '${e.key}' in ${whereOf(owner)}: it must match ${s.propertyNames.pattern}.`,
          code: 'invalid-key',
          severity: 'error',
        });
        continue;
      }
    }
    if (ps) {
      walk(ctx, e.value, ps, childOwner);
      continue;
    }
    let matched = false;
    if (s.patternProperties) {
      for (const [pat, psch] of Object.entries(s.patternProperties)) {
        const r = regex(pat);
        if (r && r.test(e.key)) {
          matched = true;
          walk(ctx, e.value, psch, childOwner);
        }
      }
    }
    if (matched) continue;
    if (s.additionalProperties === false && s[SKIP_NONE] === 'unknown-ignored' && isNull(e.value)) {
      // SkyPilot drops it unread: say so rather than refuse it.
      ctx.problems.push({
        start: e.keyStart,
        end: e.keyEnd,
        message: `Unknown field '${e.key}' in ${whereOf(owner)} has no value and is ignored (known: ${Object.keys(props)
          .filter((k) => !k.startsWith('_'))
          .join(', ')}).`,
        code: 'unknown-key',
        severity: 'warning',
      });
    } else if (s.additionalProperties === false) {
      unknownKey(ctx, e.key, e.keyStart, e.keyEnd, props, whereOf(owner), node.entries);
    } else if (typeof s.additionalProperties === 'object') {
      walk(ctx, e.value, s.additionalProperties, childOwner);
    }
  }
}

/** Per schema: the field names a message may offer, and the nearest one found for an unknown key. */
const nearCache = new WeakMap<Record<string, JSONSchema>, { visible: string[]; near: Map<string, string[]> }>();
/** Unknown keys are the user's words: the remembered answers are dropped past this many. */
const NEAR_CACHE_LIMIT = 512;

/** The known field nearest to `key` (difflib at cutoff 0.6), the same for every document. */
function nearestKnown(props: Record<string, JSONSchema>, key: string): string[] {
  let cache = nearCache.get(props);
  if (!cache) nearCache.set(props, (cache = { visible: Object.keys(props).filter((k) => !k.startsWith('_')), near: new Map() }));
  let near = cache.near.get(key);
  if (!near) {
    near = closeMatches(key, cache.visible, 1, 0.6);
    if (cache.near.size >= NEAR_CACHE_LIMIT) cache.near.clear();
    cache.near.set(key, near);
  }
  return near;
}

function unknownKey(
  ctx: WalkContext,
  key: string,
  start: number,
  end: number,
  props: Record<string, JSONSchema>,
  where: string,
  siblings: { key: string }[] = [],
): void {
  const near = nearestKnown(props, key);
  if (near.length && siblings.some((e) => e.key === near[0])) {
    // Renaming would write a second `near[0]` key (a duplicate, which SkyPilot refuses): no rename.
    ctx.problems.push({
      start,
      end,
      message: `Found unsupported field '${key}' in ${where}. '${near[0]}' is already set: move what '${key}' holds into it.`,
      code: 'unknown-key',
      severity: 'error',
    });
  } else if (near.length) {
    ctx.problems.push({
      start,
      end,
      message: `Instead of '${key}', did you mean '${near[0]}'? ('${key}' is not a field of ${where}.)`,
      code: 'unknown-key',
      severity: 'error',
      suggestion: near[0],
    });
  } else {
    ctx.problems.push({ start, end, message: `Found unsupported field '${key}' in ${where}.`, code: 'unknown-key', severity: 'error' });
  }
}

const fittingCache = new WeakMap<JSONSchema[], Map<JSONType, JSONSchema[]>>();
/** The alternatives whose types admit a node of type `actual` (kept per schema and type). */
function fittingAlternatives(root: JSONSchema, alts: JSONSchema[], actual: JSONType): JSONSchema[] {
  let byType = fittingCache.get(alts);
  if (!byType) fittingCache.set(alts, (byType = new Map()));
  let fitting = byType.get(actual);
  if (!fitting) {
    fitting = alts.filter((a) => {
      const t = acceptedTypes(root, a);
      return !t || t.some((x) => typeMatches(actual, x));
    });
    byType.set(actual, fitting);
  }
  return fitting;
}

function validateAlternatives(ctx: WalkContext, node: VNode, s: JSONSchema, alts: JSONSchema[], owner: At): void {
  const actual = nodeType(node);
  const fitting = fittingAlternatives(ctx.root, alts, actual);
  if (fitting.length === 0) {
    const types = alts.flatMap((a) => acceptedTypes(ctx.root, a) ?? []);
    const msg =
      s.errorMessage ??
      `${capital(pathName(pathOf(owner)))} must be ${listWords(types.filter((t) => t !== 'null').map((t) => TYPE_WORDS[t === 'integer' && types.includes('number') ? 'number' : t]))}, not ${actual === 'null' ? 'empty' : TYPE_WORDS[actual]}${node.kind === 'scalar' && actual !== 'null' ? ` (${valueText(node)})` : ''}.`;
    push(ctx, node, msg, 'type');
    return;
  }
  if (fitting.length === 1) {
    // One branch fits the node's type: its problems are the answer (no trial run needed).
    walk(ctx, node, fitting[0], owner);
    if (hasSiblings(s)) validateSiblings(ctx, node, s, owner);
    return;
  }
  let best: SchemaProblem[] | undefined;
  for (const alt of fitting) {
    const sub: WalkContext = { root: ctx.root, problems: [], replace: ctx.replace };
    walk(sub, node, alt, owner);
    if (!sub.problems.some((p) => p.severity === 'error')) {
      ctx.problems.push(...sub.problems);
      // Sibling keywords beside anyOf (rare) still apply.
      if (hasSiblings(s)) validateSiblings(ctx, node, s, owner);
      return;
    }
    if (!best || sub.problems.length < best.length) best = sub.problems;
  }
  if (best) ctx.problems.push(...best);
}

const ANNOTATIONS = new Set([
  'anyOf',
  'oneOf',
  'description',
  'markdownDescription',
  'examples',
  'default',
  'defaultSnippets',
  'deprecationMessage',
  'errorMessage',
  'title',
]);
const siblingsCache = new WeakMap<JSONSchema, boolean>();
function hasSiblings(s: JSONSchema): boolean {
  let has = siblingsCache.get(s);
  if (has === undefined) {
    has = false;
    for (const k of Object.keys(s)) if (!ANNOTATIONS.has(k)) has = true;
    siblingsCache.set(s, has);
  }
  return has;
}

const siblingSchemas = new WeakMap<JSONSchema, JSONSchema>();
function validateSiblings(ctx: WalkContext, node: VNode, s: JSONSchema, owner: At): void {
  let rest = siblingSchemas.get(s);
  if (!rest) siblingSchemas.set(s, (rest = siblingsOf(s)));
  if (Object.keys(rest).length) walk(ctx, node, rest, owner);
}

/** The keywords beside anyOf/oneOf, as a schema of their own (one object per schema, so the caches keyed by schema hold). */
function siblingsOf(s: JSONSchema): JSONSchema {
  const {
    anyOf: _a,
    oneOf: _o,
    description: _d,
    markdownDescription: _m,
    examples: _e,
    default: _df,
    defaultSnippets: _ds,
    deprecationMessage: _dm,
    errorMessage: _em,
    title: _t,
    ...rest
  } = s;
  return rest;
}
