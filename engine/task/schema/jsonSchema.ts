/**
 * The subset of JSON Schema (Draft-07) the task schema uses, plus the non-standard
 * annotation keywords other YAML tools understand (markdownDescription, defaultSnippets,
 * errorMessage, patternErrorMessage, deprecationMessage) and one of ours,
 * `caseInsensitiveEnum` (other tools fall back to the portable `pattern` beside it).
 */
/**
 * Marks an object schema whose null-valued keys SkyPilot drops before checking it
 * (common_utils.validate_schema's skip_none): such a key counts as absent. An unknown one is
 * still refused later ('refused': the task, its resources, a storage mount) or never looked at
 * ('ignored': the service). A symbol, so spreads keep it and the published JSON does not carry it.
 */
export const SKIP_NONE: unique symbol = Symbol('skipNone');

export interface JSONSchema {
  [SKIP_NONE]?: 'unknown-refused' | 'unknown-ignored';
  $schema?: string;
  $id?: string;
  $ref?: string;
  title?: string;
  description?: string;
  markdownDescription?: string;
  type?: JSONType | JSONType[];
  enum?: (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  pattern?: string;
  patternErrorMessage?: string;
  errorMessage?: string;
  /** Message for a number out of range only (a wrong type still says what it got). */
  rangeErrorMessage?: string;
  deprecationMessage?: string;
  properties?: Record<string, JSONSchema>;
  patternProperties?: Record<string, JSONSchema>;
  additionalProperties?: boolean | JSONSchema;
  propertyNames?: JSONSchema;
  required?: string[];
  items?: JSONSchema;
  anyOf?: JSONSchema[];
  oneOf?: JSONSchema[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minProperties?: number;
  maxProperties?: number;
  default?: unknown;
  examples?: unknown[];
  definitions?: Record<string, JSONSchema>;
  defaultSnippets?: { label?: string; description?: string; markdownDescription?: string; body?: unknown; bodyText?: string }[];
  /** Ours: the value must equal one of these ignoring case (SkyPilot's case_insensitive_enum). */
  caseInsensitiveEnum?: string[];
}

export type JSONType = 'string' | 'number' | 'integer' | 'boolean' | 'null' | 'object' | 'array';

/** A regex source matching `word` in any letter case, portable to every JS/ECMA engine. */
export function anyCase(word: string): string {
  let out = '';
  for (const ch of word) {
    const lo = ch.toLowerCase();
    const up = ch.toUpperCase();
    if (lo !== up) out += `[${lo}${up}]`;
    else out += ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
  }
  return out;
}

/** A case-insensitive enum: our keyword for our validator, a portable pattern for other tools. */
export function ciEnum(values: string[], extra: Partial<JSONSchema> = {}): JSONSchema {
  return {
    type: 'string',
    caseInsensitiveEnum: values,
    pattern: `^(?:${values.map(anyCase).join('|')})$`,
    patternErrorMessage: `Must be one of: ${values.join(', ')} (any case).`,
    examples: values,
    ...extra,
  };
}

/** Lets a field also be `null` (SkyPilot drops null-valued keys before validating a layer). */
export function nullable(s: JSONSchema): JSONSchema {
  if (s.$ref || s.anyOf || s.oneOf || (!s.type && !s.enum)) {
    const { description, markdownDescription, examples, default: def, defaultSnippets, deprecationMessage, ...rest } = s;
    const out: JSONSchema = { anyOf: [...(rest.anyOf ?? [rest]), { type: 'null' }] };
    if (rest.anyOf) {
      const { anyOf: _a, ...others } = rest;
      Object.assign(out, others);
      out.anyOf = [...(rest.anyOf ?? []), { type: 'null' }];
    }
    if (description !== undefined) out.description = description;
    if (markdownDescription !== undefined) out.markdownDescription = markdownDescription;
    if (examples !== undefined) out.examples = examples;
    if (def !== undefined) out.default = def;
    if (defaultSnippets !== undefined) out.defaultSnippets = defaultSnippets;
    if (deprecationMessage !== undefined) out.deprecationMessage = deprecationMessage;
    return out;
  }
  const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
  const withNull: JSONType[] = types.includes('null') ? types : [...types, 'null'];
  if (s.enum) return { ...s, enum: [...s.enum, null], ...(s.type === undefined ? {} : { type: withNull }) };
  return { ...s, type: withNull };
}

/** Makes every property of an object schema nullable (one SkyPilot validation layer). */
export function skipNoneLayer(s: JSONSchema, unknownNull: 'unknown-refused' | 'unknown-ignored' = 'unknown-refused'): JSONSchema {
  if (!s.properties) return s;
  const properties: Record<string, JSONSchema> = {};
  for (const [k, v] of Object.entries(s.properties)) properties[k] = nullable(v);
  return { ...s, properties, [SKIP_NONE]: unknownNull };
}

/** An example value for a schema (its own examples, default, or one derived from its shape). */
function exampleOf(s: JSONSchema, depth = 0): unknown {
  if (s.examples?.length) return s.examples[0];
  if (s.default !== undefined) return s.default;
  if (depth > 4) return undefined;
  const types = s.type ? (Array.isArray(s.type) ? s.type : [s.type]) : [];
  const alt = (s.anyOf ?? s.oneOf)?.find((a) => !(a.type === 'null'));
  if (!types.length && alt) return exampleOf(alt, depth + 1);
  if (s.caseInsensitiveEnum?.length) return s.caseInsensitiveEnum[0];
  if (s.enum?.length) return s.enum.find((e) => e !== null);
  if (types.includes('boolean')) return true;
  if (types.includes('integer') || types.includes('number')) return s.minimum ?? 1;
  if (types.includes('string')) return undefined;
  if (types.includes('array') || s.items) {
    const item = s.items ? exampleOf(s.items, depth + 1) : undefined;
    return item === undefined ? [] : [item];
  }
  if (types.includes('object') || s.properties) {
    const first = Object.entries(s.properties ?? {}).find(([k]) => !k.startsWith('_'));
    if (!first) return {};
    const v = exampleOf(first[1], depth + 1);
    return v === undefined ? {} : { [first[0]]: v };
  }
  return undefined;
}

/** Every property gets examples (derived when not written), for hover and other YAML tools. */
export function withExamples(s: JSONSchema, depth = 0): JSONSchema {
  if (depth > 30) return s;
  const out: JSONSchema = { ...s };
  if (s.properties) {
    out.properties = {};
    for (const [k, v] of Object.entries(s.properties)) {
      const child = withExamples(v, depth + 1);
      if (!child.examples?.length && !child.$ref) {
        const ex = exampleOf(child);
        if (ex !== undefined) child.examples = [ex];
      }
      out.properties[k] = child;
    }
  }
  if (s.items) out.items = withExamples(s.items, depth + 1);
  if (s.anyOf) out.anyOf = s.anyOf.map((a) => withExamples(a, depth + 1));
  if (s.oneOf) out.oneOf = s.oneOf.map((a) => withExamples(a, depth + 1));
  if (typeof s.additionalProperties === 'object') out.additionalProperties = withExamples(s.additionalProperties, depth + 1);
  if (s.patternProperties) out.patternProperties = Object.fromEntries(Object.entries(s.patternProperties).map(([k, v]) => [k, withExamples(v, depth + 1)]));
  if (s.definitions) out.definitions = Object.fromEntries(Object.entries(s.definitions).map(([k, v]) => [k, withExamples(v, depth + 1)]));
  return out;
}
