/**
 * Which documents of a file are tasks, and the rules of the file as a whole
 * (sky/utils/dag_utils.py): a file with no task at all is refused; a pipeline's first document
 * is a header only when its keys are exactly `name` or `name` + `execution` (and execution must
 * then be `serial`); a first document with `execution: parallel` followed by at least one more
 * makes a job group, whose header needs a safe `name`, whose jobs need unique safe names, and
 * whose `primary_tasks` / `termination_delay` must name those jobs.
 */
import { entryOf, isNullNode, type VDocument, type VMap, type VNode } from './yamlTree';

export type FileShape = { kind: 'pipeline'; header?: VMap } | { kind: 'job-group'; header: VMap };

type Push = (node: { start: number; end: number }, message: string, code: string, severity?: 'error' | 'warning') => void;

const JOB_GROUP_HEADER_KEYS = ['name', 'execution', 'primary_tasks', 'termination_delay'];
/** dag_utils: names a job group uses on the shell and in paths. */
const SAFE_NAME = /^[\p{L}\p{N}_-]+$/u;
/** constants.TIME_PATTERN_SECONDS. */
const DURATION = /^[0-9]+[smhdwSMHDW]?$/;

/** Python truthiness of a YAML document: empty documents, {} and [] hold no task. */
function holdsSomething(root: VNode | undefined): boolean {
  if (!root) return false;
  if (root.kind === 'map') return root.entries.length > 0;
  if (root.kind === 'seq') return root.items.length > 0;
  return root.value !== null && root.value !== '' && root.value !== 0 && root.value !== false;
}

export function fileShape(docs: VDocument[]): FileShape {
  const first = docs[0]?.root;
  if (docs.length >= 2 && first?.kind === 'map') {
    const execution = entryOf(first, 'execution')?.value;
    if (execution?.kind === 'scalar' && execution.value === 'parallel') return { kind: 'job-group', header: first };
  }
  if (first?.kind === 'map') {
    const keys = first.entries
      .map((e) => e.key)
      .sort()
      .join(',');
    if (keys === 'name' || keys === 'execution,name') return docs.length === 1 && keys === 'name' ? { kind: 'pipeline' } : { kind: 'pipeline', header: first };
  }
  return { kind: 'pipeline' };
}

/** Problems of the file as a whole (not of one task's fields). */
export function checkFileShape(text: string, docs: VDocument[], shape: FileShape, push: Push): void {
  if (!docs.some((d) => holdsSomething(d.root)) && docs.every((d) => d.problems.length === 0)) {
    push({ start: 0, end: Math.min(text.length, 1) }, 'The file is empty or holds no task definition: add at least a run: (or setup:) field.', 'empty-file');
    return;
  }
  if (shape.kind === 'pipeline') {
    if (!shape.header) return;
    const exec = entryOf(shape.header, 'execution');
    if (exec && !(exec.value.kind === 'scalar' && (exec.value.value === 'serial' || exec.value.value === null))) {
      push(
        exec.value,
        `Invalid execution mode for a pipeline: ${describe(exec.value)}. A pipeline runs its tasks one after another (execution: serial, or leave it out); a job group needs execution: parallel and at least one job after the header.`,
        'value',
      );
    }
    return;
  }
  checkJobGroup(shape.header, docs.slice(1), push);
}

function checkJobGroup(header: VMap, jobs: VDocument[], push: Push): void {
  const name = entryOf(header, 'name');
  if (!name) push({ start: header.start, end: header.start + 1 }, "The job group header needs a 'name'.", 'missing-required');
  else if (!(name.value.kind === 'scalar' && typeof name.value.value === 'string' && SAFE_NAME.test(name.value.value))) {
    push(name.value, `Invalid job group name ${describe(name.value)}: use only letters, digits, '-' and '_'.`, 'value');
  }
  for (const e of header.entries) {
    if (!JOB_GROUP_HEADER_KEYS.includes(e.key))
      push(
        { start: e.keyStart, end: e.keyEnd },
        `Unknown field '${e.key}' in the job group header: it is ignored (known: ${JOB_GROUP_HEADER_KEYS.join(', ')}).`,
        'unknown-key',
        'warning',
      );
  }
  const jobNames = new Set<string>();
  let index = 0;
  for (const doc of jobs) {
    index++;
    const root = doc.root;
    if (!root || isNullNode(root) || root.kind !== 'map') continue; // an empty document is skipped; a non-mapping is reported per document
    const jn = entryOf(root, 'name');
    if (!jn || isNullNode(jn.value)) {
      push(
        { start: root.start, end: Math.min(root.end, root.start + 1) },
        `Job ${index} of the job group needs a 'name' (each job is addressed by it).`,
        'missing-required',
      );
      continue;
    }
    const v = jn.value;
    if (!(v.kind === 'scalar' && typeof v.value === 'string' && SAFE_NAME.test(v.value))) {
      push(v, `Invalid job name ${describe(v)}: use only letters, digits, '-' and '_'.`, 'value');
      continue;
    }
    if (jobNames.has(v.value as string)) push(v, `Duplicate job name in the job group: '${v.value}'.`, 'duplicate-job');
    jobNames.add(v.value as string);
  }
  const primary = entryOf(header, 'primary_tasks');
  if (primary && !isNullNode(primary.value)) {
    const pv = primary.value;
    if (pv.kind !== 'seq') push(pv, 'primary_tasks must be a list of job names.', 'type');
    else {
      for (const it of pv.items) {
        if (!(it.kind === 'scalar' && typeof it.value === 'string')) push(it, 'primary_tasks entries must be job names (strings).', 'type');
        else if (!jobNames.has(it.value)) push(it, `primary_tasks names an unknown job '${it.value}'. Jobs: ${[...jobNames].sort().join(', ')}.`, 'value');
      }
    }
  }
  const delay = entryOf(header, 'termination_delay');
  if (delay && !isNullNode(delay.value)) {
    const dv = delay.value;
    const checkDuration = (n: VNode, what: string) => {
      const ok =
        n.kind === 'scalar' && (typeof n.value === 'string' || (typeof n.value === 'number' && Number.isInteger(n.value))) && DURATION.test(String(n.value));
      if (!ok) push(n, `Invalid ${what} ${describe(n)}: write NUMBER[s|m|h|d|w], e.g. 30s, 5m, 1h.`, 'value');
    };
    if (dv.kind === 'map') {
      for (const e of dv.entries) {
        if (e.key !== 'default' && !jobNames.has(e.key))
          push(
            { start: e.keyStart, end: e.keyEnd },
            `termination_delay names an unknown job '${e.key}'. Jobs: ${[...jobNames].sort().join(', ')} (or default).`,
            'value',
          );
        else checkDuration(e.value, `termination_delay['${e.key}']`);
      }
    } else if (dv.kind === 'scalar' && typeof dv.value !== 'boolean') checkDuration(dv, 'termination_delay');
    else push(dv, 'termination_delay must be a duration (30s, 5m) or a mapping {default | job name: duration}.', 'type');
  }
}

function describe(n: VNode): string {
  if (n.kind === 'map') return 'a mapping';
  if (n.kind === 'seq') return 'a list';
  return typeof n.value === 'string' ? `'${n.value}'` : String(n.value);
}
