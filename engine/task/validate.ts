/**
 * SkyPilot's layered task validation (skypilot-behavior.md 1.1-1.3) over the source tree:
 * YAML syntax and duplicate keys -> envs/secrets stringified -> `$VAR` substitution in
 * file_mounts / service / workdir / volumes -> the schema (task, resources, service,
 * storage; null-valued fields dropped per layer) -> cross-field rules and the value
 * languages (accelerators, infra, cpus, memory, ports, ...). Every problem becomes a
 * TaskDiagnostic on the most precise range.
 */
import type { DiagnosticFix, TaskDiagnostic } from './diagnostics';
import { pythonStr, pythonStrAny, substituteNode } from './envSubst';
import { resourceCandidates } from './candidates';
import { checkFileShape, fileShape } from './pipeline';
import { checkCandidates, isPoolSpec, poolChecks, serveUpChecks } from './rules/launchChecks';
import { taskSchema } from './schema/taskSchema';
import { excessiveNesting, MAX_NESTING, topLevelKeysOnly, unacceptableCharacter } from './textLimits';
import { unsupportedFileWarnings } from './unsupported';
import { mayHaveUnsupportedField, unsupportedFieldProblems } from './unsupportedDiagnostics';
import { validateNode, type SchemaProblem, type WalkContext } from './schema/validator';
import { parseAcceleratorString, parseAutostop, parseDiskSize, parseInfra, parseLocalDisk, parsePorts, parseQuantity, TaskValueError } from './values';
import { entryOf, isNullNode, parseYamlDocuments, TextMap, toPlain, type VDocument, type VEntry, type VMap, type VNode, type Plain } from './yamlTree';
import { pyFloatStr } from './yamlNodes';

export interface ValidateOptions {
  envOverrides?: Record<string, string>;
  secretOverrides?: Record<string, string>;
  /** Launch time: an env without a value (and no --env) is an error, not a warning. */
  requireEnvs?: boolean;
}

interface DocumentOptions extends ValidateOptions {
  /** The file is one task: the checks `sky serve up` makes before launching a service apply. */
  serveChecks: boolean;
}

export type DocKind = 'task' | 'header' | 'empty' | 'invalid';

export interface AnalyzedDocument {
  doc: VDocument;
  kind: DocKind;
  /** The document's mapping as written (task/header documents). */
  map?: VMap;
  /** Substituted subtrees (file_mounts, service, workdir, volumes), keyed by the written node. */
  replaced: Map<VNode, VNode>;
}

export interface ValidationResult {
  textMap: TextMap;
  documents: AnalyzedDocument[];
  diagnostics: TaskDiagnostic[];
}

const SUBSTITUTED_FIELDS = ['file_mounts', 'service', 'workdir', 'volumes'];

/** Text of tab, line breaks and printable ASCII only holds no character YAML refuses (a quick test before the full one). */
// eslint-disable-next-line no-control-regex -- the control characters YAML allows are the point here
const OUTSIDE_PRINTABLE_ASCII = /[^\x09\x0A\x0D\x20-\x7E]/;

export function validateTaskText(text: string, options: ValidateOptions = {}): ValidationResult {
  // Nesting the recursive parsers cannot take is refused before parsing (the top-level keys
  // still let content detection see a task); a character YAML forbids is reported where it is.
  const tooDeep = mayNestTooDeep(text) ? excessiveNesting(text) : undefined;
  if (tooDeep) {
    const textMap = new TextMap(text);
    return {
      textMap,
      documents: [{ doc: topLevelKeysOnly(text), kind: 'invalid', replaced: new Map() }],
      diagnostics: [toDiagnostic({ ...tooDeep, severity: 'error' }, textMap, undefined)],
    };
  }
  const badCharacter = OUTSIDE_PRINTABLE_ASCII.test(text) ? unacceptableCharacter(text) : undefined;
  const { docs, textMap } = parseYamlDocuments(text);
  const problems: SchemaProblem[] = [];
  const fixes = new Map<SchemaProblem, DiagnosticFix[]>();
  const documents: AnalyzedDocument[] = [];
  const push = (node: { start: number; end: number }, message: string, code: string, severity: 'error' | 'warning' = 'error') => {
    problems.push({ start: node.start, end: node.end, message, code, severity });
  };
  if (badCharacter) problems.push({ ...badCharacter, severity: 'error' });
  const shape = fileShape(docs);
  checkFileShape(text, docs, shape, push);
  const execution = shape.kind === 'job-group' ? entryOf(shape.header, 'execution') : undefined;
  for (const f of execution ? unsupportedFileWarnings({ tasks: [], execution: 'parallel' }) : [])
    push({ start: execution!.keyStart, end: execution!.keyEnd }, f.message, 'not-honoured', 'warning');
  const taskDocs = docs.filter((d) => d.root?.kind === 'map' && d.root !== shape.header).length;

  for (const doc of docs) {
    for (const p of doc.problems) problems.push({ start: p.start, end: p.end, message: p.message, code: 'yaml-syntax', severity: p.severity });
    const analyzed: AnalyzedDocument = { doc, kind: 'empty', replaced: new Map() };
    documents.push(analyzed);
    const root = doc.root;
    if (!root || (root.kind === 'scalar' && root.value === null)) continue;
    if (root.kind !== 'map') {
      analyzed.kind = 'invalid';
      const what = root.kind === 'seq' ? 'a list' : typeof root.value === 'string' ? 'a string' : `a ${typeof root.value}`;
      problems.push({
        start: root.start,
        end: Math.min(root.end, textMap.lineEnd(root.start)),
        message: `Invalid task YAML: the document is ${what}; a task is a mapping of fields such as run, setup and resources.`,
        code: 'type',
        severity: 'error',
      });
      continue;
    }
    analyzed.map = root;
    checkDuplicateKeys(root, problems, textMap);
    if (root === shape.header) {
      analyzed.kind = 'header';
      continue;
    }
    analyzed.kind = 'task';
    const before = problems.length;
    validateTaskDocument(root, analyzed.replaced, { ...options, serveChecks: taskDocs === 1 }, problems, fixes, textMap);
    // Building the task for the unsupported-field warnings only pays when the document writes a key one is about.
    if (!problems.slice(before).some((p) => p.severity === 'error') && mayHaveUnsupportedField(root, analyzed.replaced))
      problems.push(...unsupportedFieldProblems(root, plainOf(root, analyzed.replaced)));
  }

  const diagnostics = problems.map((p) => toDiagnostic(p, textMap, fixes.get(p)));
  diagnostics.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character);
  return { textMap, documents, diagnostics };
}

/**
 * Whether excessiveNesting could find anything: its depth is at most the indentation levels
 * (no more than the widest leading whitespace + 1), the `- ` on one line and every flow bracket
 * of the text, so a text whose bound stays within MAX_NESTING skips that scan.
 * Any non-ASCII character counts as whitespace here, which only makes the bound larger.
 */
function mayNestTooDeep(text: string): boolean {
  let brackets = 0;
  for (let k = text.indexOf('['); k >= 0; k = text.indexOf('[', k + 1)) brackets++;
  for (let k = text.indexOf('{'); k >= 0; k = text.indexOf('{', k + 1)) brackets++;
  if (brackets > MAX_NESTING) return true;
  let maxLead = 0;
  let maxDashes = 0;
  for (let start = 0; start < text.length;) {
    let lead = 0;
    let dashes = 0;
    let i = start;
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) break;
      if (c === 45) dashes++;
      else if (c <= 32 || c >= 128) {
        if (dashes === 0) lead++;
      } else break;
    }
    if (lead > maxLead) maxLead = lead;
    if (dashes > maxDashes) maxDashes = dashes;
    const nl = text.indexOf('\n', i);
    if (nl < 0) break;
    start = nl + 1;
  }
  return maxLead + 1 + maxDashes + brackets > MAX_NESTING;
}

function toDiagnostic(p: SchemaProblem, textMap: TextMap, fixes: DiagnosticFix[] | undefined): TaskDiagnostic {
  const d: TaskDiagnostic = { severity: p.severity, message: p.message, code: p.code, range: textMap.range(p.start, p.end) };
  if (fixes?.length) d.fixes = fixes;
  return d;
}

function checkDuplicateKeys(node: VNode, problems: SchemaProblem[], textMap: TextMap, depth = 0): void {
  if (depth > 200) return;
  if (node.kind === 'seq') {
    for (const it of node.items) checkDuplicateKeys(it, problems, textMap, depth + 1);
    return;
  }
  if (node.kind !== 'map') return;
  const first = new Map<string, VEntry>();
  for (const e of node.entries) {
    const prev = first.get(e.key);
    if (prev && prev.keyStart !== e.keyStart) {
      const line = textMap.positionAt(prev.keyStart).line + 1;
      problems.push({
        start: e.keyStart,
        end: e.keyEnd,
        message: `Duplicate key '${e.key}' (first defined on line ${line}).`,
        code: 'duplicate-key',
        severity: 'error',
      });
    } else if (!prev) first.set(e.key, e);
    checkDuplicateKeys(e.value, problems, textMap, depth + 1);
  }
}

function scalarString(n: VNode | undefined): string | undefined {
  return n && n.kind === 'scalar' && typeof n.value === 'string' ? n.value : undefined;
}

/** The plain (substituted) value of a document, for building the Task. */
export function plainOf(node: VNode, replaced: Map<VNode, VNode>): Plain {
  const n = replaced.get(node) ?? node;
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map((i) => plainOf(i, replaced));
  const out: { [k: string]: Plain } = {};
  for (const e of n.entries) out[e.key] = plainOf(e.value, replaced);
  return out;
}

function validateTaskDocument(
  root: VMap,
  replaced: Map<VNode, VNode>,
  options: DocumentOptions,
  problems: SchemaProblem[],
  fixes: Map<SchemaProblem, DiagnosticFix[]>,
  textMap: TextMap,
): void {
  const err = (node: { start: number; end: number }, message: string, code: string, severity: 'error' | 'warning' = 'error'): SchemaProblem => {
    const p: SchemaProblem = { start: node.start, end: node.end, message, code, severity };
    problems.push(p);
    return p;
  };
  const keyErr = (e: VEntry, message: string, code: string, severity: 'error' | 'warning' = 'error'): SchemaProblem =>
    err({ start: e.keyStart, end: e.keyEnd }, message, code, severity);

  // Layer 2: envs / secrets -> strings; the substitution map.
  const vars = new Map<string, string>();
  const envs = entryOf(root, 'envs');
  if (envs && isNullNode(envs.value)) keyErr(envs, 'envs has no value: give it a mapping of variables, or remove the key.', 'type');
  if (envs && envs.value.kind === 'map') {
    for (const e of envs.value.entries) {
      const v = e.value;
      if (v.kind === 'scalar' && v.value !== null) vars.set(e.key, pythonStr(v.value));
      else if (v.kind !== 'scalar') {
        const str = pythonStrAny(plainOf(v, replaced));
        vars.set(e.key, str);
        err(
          v,
          `Environment variable '${e.key}' is ${v.kind === 'seq' ? 'a list' : 'a mapping'}: SkyPilot turns it into the string ${JSON.stringify(str)}. Quote the value if that is what you mean.`,
          'env-stringified',
          'warning',
        );
      } else if (v.kind === 'scalar' && v.value === null && options.envOverrides?.[e.key] === undefined) {
        keyErr(
          e,
          `Environment variable '${e.key}' has no value: set it at launch with --env ${e.key}=<value>, or give it a value here ('' for an empty string).`,
          'env-null',
          options.requireEnvs ? 'error' : 'warning',
        );
      }
    }
  }
  if (options.envOverrides) for (const [k, v] of Object.entries(options.envOverrides)) vars.set(k, v);
  const secrets = entryOf(root, 'secrets');
  if (secrets && secrets.value.kind === 'map') {
    for (const e of secrets.value.entries) {
      const v = e.value;
      if (e.key.startsWith('secrets:') && !isNullNode(v)) {
        err(
          v,
          `Secret '${e.key}' is a reference to a managed secret and cannot have a value here: leave it empty, or drop the 'secrets:' prefix to give the value inline.`,
          'value',
        );
        continue;
      }
      if (!/^(?:secrets:)?[a-zA-Z_][a-zA-Z0-9_]*$/.test(e.key)) {
        // SkyPilot takes any key here; the shell cannot export this one.
        keyErr(
          e,
          `Secret '${e.key}' is not a valid environment variable name (letters, digits and '_', not starting with a digit): the task will not see it.`,
          'value',
          'warning',
        );
      }
      if (v.kind === 'scalar' && v.value !== null) vars.set(e.key, pythonStr(v.value));
      else if (v.kind !== 'scalar') {
        const str = pythonStrAny(plainOf(v, replaced));
        vars.set(e.key, str);
        err(
          v,
          `Secret '${e.key}' is ${v.kind === 'seq' ? 'a list' : 'a mapping'}: SkyPilot turns it into the string ${JSON.stringify(str)}. Quote the value if that is what you mean.`,
          'env-stringified',
          'warning',
        );
      }
    }
  }
  if (options.secretOverrides) for (const [k, v] of Object.entries(options.secretOverrides)) vars.set(k, v);

  // Layer 3/4: substitution, then the schema over the whole (substituted) document.
  for (const f of SUBSTITUTED_FIELDS) {
    const e = entryOf(root, f);
    if (e && vars.size) {
      const sub = substituteNode(e.value, vars);
      if (sub !== e.value) replaced.set(e.value, sub);
    }
  }
  const ctx: WalkContext = { root: taskSchema, problems: [], replace: replaced };
  validateNode(ctx, root, taskSchema, { path: [], keyStart: root.start, keyEnd: root.start });
  for (const p of ctx.problems) {
    const special = p.code === 'unknown-key' ? specialUnknownKey(p, textMap) : undefined;
    if (special) {
      problems.push(special.problem);
      fixes.set(special.problem, special.fixes);
      continue;
    }
    problems.push(p);
    if (p.code === 'unknown-key' && p.suggestion) {
      fixes.set(p, [
        {
          title: `Rename '${textMap.text.slice(p.start, p.end)}' to '${p.suggestion}'`,
          edits: [{ range: textMap.range(p.start, p.end), newText: p.suggestion }],
        },
      ]);
    }
  }
  const schemaFailed = new Set(ctx.problems.map((p) => `${p.start}`));
  const clean = (n: VNode): boolean => !schemaFailed.has(`${n.start}`);

  // Cross-field rules and value languages.
  const nodeOf = (e: VEntry | undefined): VNode | undefined => (e ? (replaced.get(e.value) ?? e.value) : undefined);
  const resources = entryOf(root, 'resources');
  const resNode = nodeOf(resources);
  let serviceUsesSpot = false;
  let hasJobRecovery: VEntry | undefined;
  if (resNode && resNode.kind === 'map') {
    const checkSpec = (m: VMap) => {
      const gpus = entryOf(m, 'gpus');
      const acc = entryOf(m, 'accelerators');
      if (gpus && acc && !isNullNode(gpus.value) && !isNullNode(acc.value))
        keyErr(gpus, "Cannot specify both gpus and accelerators: 'gpus' is an alias of 'accelerators'; keep one.", 'conflict');
      const infra = entryOf(m, 'infra');
      if (infra && !isNullNode(infra.value)) {
        for (const k of ['cloud', 'region', 'zone']) {
          const e = entryOf(m, k);
          if (e && !isNullNode(e.value))
            keyErr(e, `Cannot specify both 'infra' and '${k}': put everything in infra (cloud/region/zone), e.g. infra: aws/us-east-1.`, 'conflict');
        }
        const s = scalarString(infra.value);
        if (s !== undefined && clean(infra.value)) tryValue(() => parseInfra(s), infra.value, err);
      }
      const accNode = (acc && !isNullNode(acc.value) ? acc : gpus)?.value;
      if (accNode && !isNullNode(accNode) && clean(accNode)) {
        if (accNode.kind === 'scalar' && typeof accNode.value === 'string') {
          const str = accNode.value;
          tryValue(() => parseAcceleratorString(str), accNode, err);
        } else if (accNode.kind === 'map') {
          if (accNode.entries.length === 0)
            err(accNode, 'The accelerators mapping is empty: name at least one ({A100: 8}), or leave accelerators out.', 'value');
          for (const e of accNode.entries) {
            // SkyPilot reads an entry as the string 'KEY:COUNT': a key with its own ':' makes three parts.
            const v0 = e.value;
            const whole = e.key.includes(':') && v0.kind === 'scalar' && typeof v0.value === 'number' ? `${e.key}:${v0.value}` : e.key;
            if (isNullNode(e.value) || e.value.kind === 'scalar') tryValue(() => parseAcceleratorString(whole), { start: e.keyStart, end: e.keyEnd }, err);
            const v = e.value;
            if (v.kind === 'scalar' && typeof v.value === 'number' && !(v.value > 0) && clean(v))
              err(v, `The count of accelerator '${e.key}' must be a positive number, got ${v.value}.`, 'value');
          }
        } else if (accNode.kind === 'seq') {
          if (accNode.items.length === 0) err(accNode, 'The accelerators list is empty: name at least one (A100:8), or leave accelerators out.', 'value');
          for (const it of accNode.items)
            if (it.kind === 'scalar' && typeof it.value === 'string') {
              const str = it.value;
              tryValue(() => parseAcceleratorString(str), it, err);
            }
        }
      }
      for (const k of ['cpus', 'memory'] as const) {
        const e = entryOf(m, k);
        if (e && e.value.kind === 'scalar' && e.value.value !== null && typeof e.value.value !== 'boolean' && clean(e.value)) {
          const v = e.value.value;
          tryValue(() => parseQuantity(v, k), e.value, err);
          if (k === 'cpus' && typeof v === 'string' && /x/i.test(v)) err(e.value, "cpus cannot be a per-vCPU ratio ('x'); only memory can.", 'value');
        }
      }
      const disk = entryOf(m, 'disk_size');
      if (disk && disk.value.kind === 'scalar' && (typeof disk.value.value === 'string' || typeof disk.value.value === 'number') && clean(disk.value)) {
        const v = disk.value.value;
        tryValue(() => parseDiskSize(v), disk.value, err);
      }
      const eph = entryOf(m, 'ephemeral_storage');
      if (eph && eph.value.kind === 'scalar' && typeof eph.value.value === 'string' && clean(eph.value)) {
        const v = eph.value.value;
        tryValue(() => parseDiskSize(v, 'ephemeral_storage'), eph.value, err);
      }
      const ports = entryOf(m, 'ports');
      if (ports && !isNullNode(ports.value) && clean(ports.value)) {
        const pv = plainOf(ports.value, replaced);
        tryValue(() => parsePorts(pv), ports.value, err);
      }
      const autostop = entryOf(m, 'autostop');
      if (autostop && !isNullNode(autostop.value) && clean(autostop.value)) {
        const av = plainOf(autostop.value, replaced);
        tryValue(() => parseAutostop(av), autostop.value, err);
      }
      const localDisk = entryOf(m, 'local_disk');
      const ld = scalarString(localDisk?.value);
      if (localDisk && ld !== undefined && clean(localDisk.value)) tryValue(() => parseLocalDisk(ld), localDisk.value, err);
      // Attached disks (sky/resources.py _set_volumes): a path each; a network disk (the default
      // storage_type) names the disk to attach.
      const vols = entryOf(m, 'volumes')?.value;
      for (const it of vols?.kind === 'seq' ? vols.items : []) {
        if (it.kind !== 'map') continue;
        const path = entryOf(it, 'path');
        if (!path) {
          err(it, 'A resources volume needs a path: where the disk is mounted (path: /mnt/data).', 'missing-required');
          continue;
        }
        const st = scalarString(entryOf(it, 'storage_type')?.value);
        if (st?.toLowerCase() !== 'instance' && !entryOf(it, 'name'))
          keyErr(
            path,
            `The network volume at ${String(toPlain(path.value))} needs a name (the disk to attach), or storage_type: instance for a local disk.`,
            'missing-required',
          );
      }
      const spot = entryOf(m, 'use_spot');
      if (spot && spot.value.kind === 'scalar' && spot.value.value === true) serviceUsesSpot = true;
      const jr = entryOf(m, 'job_recovery');
      // Strategy 'none' (exactly) is no job recovery to SkyPilot.
      const strategy = jr?.value.kind === 'map' ? entryOf(jr.value, 'strategy')?.value : jr?.value;
      if (jr && !isNullNode(jr.value) && !(strategy?.kind === 'scalar' && strategy.value === 'none')) hasJobRecovery = jr;
    };
    checkSpec(resNode);
    const anyOf = entryOf(resNode, 'any_of');
    const ordered = entryOf(resNode, 'ordered');
    if (anyOf && ordered && !isNullNode(anyOf.value) && !isNullNode(ordered.value)) {
      const later = anyOf.keyStart > ordered.keyStart ? anyOf : ordered;
      keyErr(later, "Cannot specify both 'any_of' and 'ordered' in resources: use any_of (cheapest wins) or ordered (first wins).", 'conflict');
    }
    const baseAcc = entryOf(resNode, 'accelerators') ?? entryOf(resNode, 'gpus');
    // An empty list of alternatives is no alternatives to SkyPilot (it tests the list's truth).
    // SkyPilot counts the distinct accelerators (a repeated list item is one).
    const accCount = (n: VNode) =>
      n.kind === 'map' ? n.entries.length : n.kind === 'seq' ? new Set(n.items.map((i) => JSON.stringify(plainOf(i, replaced)))).size : 1;
    if (ordered && ordered.value.kind === 'seq' && ordered.value.items.length > 0 && baseAcc && accCount(baseAcc.value) > 1) {
      err(baseAcc.value, "Several accelerators cannot be combined with 'ordered': list the alternatives as ordered items instead.", 'conflict');
    }
    if (anyOf && anyOf.value.kind === 'seq' && anyOf.value.items.length > 0 && baseAcc && baseAcc.value.kind === 'seq' && accCount(baseAcc.value) > 1) {
      err(
        baseAcc.value,
        "A list of accelerators (ordered preference) cannot be combined with 'any_of': use a set {A:1, B:1} or move them into the any_of items.",
        'conflict',
      );
    }
    for (const alt of [anyOf, ordered]) {
      if (alt && alt.value.kind === 'seq') for (const it of alt.value.items) if (it.kind === 'map') checkSpec(it);
    }
    checkCandidates(resourceCandidates(resNode, (e) => plainOf(e.value, replaced)).list, err);
  }

  // Service rules (sky/serve/service_spec.py).
  const service = entryOf(root, 'service');
  const svc = nodeOf(service);
  const pool = entryOf(root, 'pool');
  if (service && pool && !isNullNode(service.value) && !isNullNode(pool.value))
    keyErr(pool, "Cannot specify both 'service' and 'pool': a task is either a service or a pool.", 'conflict');
  if (service && svc && svc.kind === 'map') {
    const replicas = entryOf(svc, 'replicas');
    const policyE = entryOf(svc, 'replica_policy');
    // SkyPilot checks the keys' presence: an empty one counts.
    if (replicas && policyE) {
      keyErr(replicas, "Cannot specify both 'replicas' and 'replica_policy': use replicas for a fixed count, replica_policy for autoscaling.", 'conflict');
    }
    const policy = policyE?.value;
    const lbpE = entryOf(svc, 'load_balancing_policy');
    if (lbpE && scalarString(lbpE.value) === 'instance_aware_least_load') {
      const qpsNode = policy?.kind === 'map' ? entryOf(policy, 'target_qps_per_replica')?.value : undefined;
      if (qpsNode?.kind !== 'map') {
        keyErr(
          lbpE,
          'load_balancing_policy instance_aware_least_load needs replica_policy.target_qps_per_replica as a mapping per accelerator ({"H100:1": 10}).',
          'conflict',
        );
      }
    }
    if (policy && policy.kind === 'map') {
      const num = (k: string) => {
        const e = entryOf(policy, k);
        return e && e.value.kind === 'scalar' && typeof e.value.value === 'number' ? { e, v: e.value.value } : undefined;
      };
      const min = num('min_replicas');
      const max = num('max_replicas');
      const qpsE = entryOf(policy, 'target_qps_per_replica');
      const qps = qpsE && !isNullNode(qpsE.value) ? qpsE : undefined;
      if (qps && !max) keyErr(qps, 'target_qps_per_replica needs max_replicas: set replica_policy.max_replicas to enable autoscaling.', 'conflict');
      if (min && max && max.v < min.v) err(max.e.value, `max_replicas (${max.v}) must be greater than or equal to min_replicas (${min.v}).`, 'range');
      if (min && max && max.v !== min.v && !qps && !isPoolSpec(svc)) {
        keyErr(
          max.e,
          `max_replicas (${max.v}) differs from min_replicas (${min.v}) but target_qps_per_replica is not set. To enable autoscaling, set target_qps_per_replica; for a fixed count, make them equal (or use replicas).`,
          'autoscaling',
        );
      }
      const lbp = scalarString(entryOf(svc, 'load_balancing_policy')?.value);
      if (qps && qps.value.kind === 'map' && lbp !== 'instance_aware_least_load') {
        keyErr(qps, 'A per-accelerator target_qps_per_replica needs load_balancing_policy: instance_aware_least_load.', 'conflict');
      }
      for (const k of ['dynamic_ondemand_fallback', 'base_ondemand_fallback_replicas', 'spot_placer']) {
        const e = entryOf(policy, k);
        if (e && !isNullNode(e.value) && !(e.value.kind === 'scalar' && e.value.value === false) && !serviceUsesSpot) {
          keyErr(e, `${k} only applies to spot replicas: set resources.use_spot: true.`, 'conflict');
        }
      }
    }
    const probeE = entryOf(svc, 'readiness_probe');
    if (probeE && isNullNode(probeE.value)) {
      keyErr(
        probeE,
        "service.readiness_probe has no value: give a path ('/health') or a mapping {path: /health, ...}, or leave the key out to probe '/'.",
        'value',
      );
    }
    const probe = probeE?.value;
    if (probe && probe.kind === 'map') {
      const pd = entryOf(probe, 'post_data');
      const s = scalarString(pd?.value);
      if (pd && s !== undefined) {
        try {
          JSON.parse(s);
        } catch {
          err(pd.value, 'readiness_probe.post_data is a string but not valid JSON: write a mapping or a JSON string.', 'value');
        }
      }
    }
    if (hasJobRecovery) keyErr(hasJobRecovery, 'job_recovery cannot be used with a service: replicas are recovered by the service controller.', 'conflict');
  }
  if (!service && pool && pool.value.kind === 'map' && hasJobRecovery) {
    keyErr(hasJobRecovery, 'job_recovery cannot be used with a pool: the pool replaces preempted workers itself (spot with spot).', 'conflict');
  }
  const poolMap = svc?.kind === 'map' ? entryOf(svc, 'pool')?.value : undefined;
  if (poolMap?.kind === 'map' && svc?.kind === 'map') poolChecks(poolMap, svc, err);
  else if (pool && pool.value.kind === 'map' && !service) poolChecks(pool.value, undefined, err);
  const servedAs =
    service && svc?.kind === 'map' ? { entry: service, spec: svc } : pool && pool.value.kind === 'map' ? { entry: pool, spec: undefined } : undefined;
  if (servedAs && options.serveChecks) {
    const candidates = resNode?.kind === 'map' ? resourceCandidates(resNode, (e) => plainOf(e.value, replaced)) : { mode: 'single' as const, list: [] };
    serveUpChecks(servedAs.entry, servedAs.spec, resources, candidates, err);
  }

  // YAML floats where SkyPilot needs a whole number (sky/task.py: isinstance int; str() for sizes and ports).
  const nodes = nodeOf(entryOf(root, 'num_nodes'));
  if (nodes?.kind === 'scalar' && nodes.float)
    err(nodes, `num_nodes should be a positive int, got the float ${pyFloatStr(nodes.value as number)}: write it without a decimal point.`, 'type');
  if (resNode?.kind === 'map') {
    const floats = (m: VMap) => {
      const disk = nodeOf(entryOf(m, 'disk_size'));
      if (disk?.kind === 'scalar' && disk.float)
        err(disk, `Invalid disk_size ${pyFloatStr(disk.value as number)}: write a whole number of GB (256), without a decimal point.`, 'value');
      const ports = nodeOf(entryOf(m, 'ports'));
      for (const p of ports?.kind === 'seq' ? ports.items : ports ? [ports] : []) {
        if (p.kind === 'scalar' && p.float)
          err(p, `Invalid port ${pyFloatStr(p.value as number)}: ports are whole numbers (8080) or ranges ('8000-8010').`, 'value');
      }
    };
    floats(resNode);
    for (const k of ['any_of', 'ordered']) {
      const alt = nodeOf(entryOf(resNode, k));
      if (alt?.kind === 'seq') for (const it of alt.items) if (it.kind === 'map') floats(it);
    }
  }

  // file_mounts paths (sky/task.py).
  const fm = nodeOf(entryOf(root, 'file_mounts'));
  const hasWorkdir = !isNullNode(entryOf(root, 'workdir')?.value);
  if (fm && fm.kind === 'map') {
    for (const e of fm.entries) {
      const dst = e.key;
      const keyRange = { start: e.keyStart, end: e.keyEnd };
      if (/^[a-z0-9]+:\/\//i.test(dst)) err(keyRange, `File mount destination '${dst}' cannot be a bucket URL: it is a path on the node.`, 'value');
      else if (dst.endsWith('/')) err(keyRange, `File mount destination '${dst}' cannot end with '/': write the path without it.`, 'value');
      else if (dst === '~/sky_workdir' && hasWorkdir)
        err(
          keyRange,
          "'~/sky_workdir' cannot be a file mount destination when workdir is set: the workdir is synced there. Mount to a path inside it instead.",
          'conflict',
        );
      const src = scalarString(e.value);
      // SkyPilot refuses a trailing '/' on every source, bucket URIs included (s3://bucket/ -> s3://bucket).
      if (src !== undefined && src.endsWith('/'))
        err(e.value, `File mount source '${src}' cannot end with '/': write '${src.replace(/\/+$/, '') || src}' instead.`, 'value');
    }
  }
}

function tryValue<T>(
  fn: () => T,
  node: { start: number; end: number },
  err: (n: { start: number; end: number }, m: string, c: string) => SchemaProblem,
): T | undefined {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TaskValueError) {
      err(node, e.message, 'value');
      return undefined;
    }
    throw e;
  }
}

/** Keys SkyPilot removed or moved: a specific message and a fix. */
function specialUnknownKey(p: SchemaProblem, textMap: TextMap): { problem: SchemaProblem; fixes: DiagnosticFix[] } | undefined {
  const key = textMap.text.slice(p.start, p.end).replace(/^["']|["']$/g, '');
  if (key === 'spot_recovery' && /resources/.test(p.message)) {
    return {
      problem: {
        ...p,
        code: 'spot-recovery-removed',
        message:
          "'spot_recovery' was removed from SkyPilot's resources schema: rename it to 'job_recovery' (same values). Instead of 'spot_recovery', did you mean 'job_recovery'?",
        suggestion: 'job_recovery',
      },
      fixes: [{ title: "Rename 'spot_recovery' to 'job_recovery'", edits: [{ range: textMap.range(p.start, p.end), newText: 'job_recovery' }] }],
    };
  }
  if (key === 'hooks' && /resources/.test(p.message)) {
    return {
      problem: { ...p, code: 'hooks-moved', message: "'resources.hooks' is not supported: lifecycle hooks live under the top-level `config.hooks:`." },
      fixes: [],
    };
  }
  return undefined;
}
