/**
 * The task loader: text or file -> diagnostics + TaskFile. Used by the CLI (`skydeck
 * validate`, `launch`, `jobs launch`, `serve up`), the optimizer and the language server.
 * A multi-document file is a pipeline; its first document may be a header (`name`,
 * `execution`). `envOverrides` / `secretOverrides` (CLI --env / --secret) replace `envs` /
 * `secrets` values before substitution, as SkyPilot does.
 */
import { buildTask } from './build';
import { detectTask, type DetectOptions } from './detect';
import { TaskValidationError, type TaskDiagnostic } from './diagnostics';
import { readTaskSource } from './source';
import { plainOf, validateTaskText, type ValidationResult } from './validate';
import { TaskValueError } from './values';
import type { Task, TaskFile } from './types';

export { TaskValidationError } from './diagnostics';
export type { TaskDiagnostic, Range, Position, Severity, DiagnosticFix, TextEdit } from './diagnostics';
export {
  parseAccelerators,
  parseAcceleratorString,
  parseInfra,
  formatInfra,
  parseQuantity,
  parseDiskSize,
  parsePorts,
  parseTimeMinutes,
  parseAutostop,
  parseJobRecovery,
  TaskValueError,
  CLOUDS,
} from './values';
export { buildResources, buildSpec } from './build';

export interface ParseOptions {
  fileName?: string;
  envOverrides?: Record<string, string>;
  secretOverrides?: Record<string, string>;
  /** For content detection (`isTask`): `skydeck.taskFiles` globs. */
  taskFiles?: DetectOptions['taskFiles'];
  /** Launch time: envs without a value (and no --env) are errors. */
  requireEnvs?: boolean;
  /** Build the Task objects (default true). The editor only needs diagnostics. */
  buildTasks?: boolean;
}

export interface ParseResult {
  /** Present when there is no error-severity diagnostic. */
  taskFile?: TaskFile;
  diagnostics: TaskDiagnostic[];
  /** Content detection (modeline, globs, keys): would the editor treat this file as a task? */
  isTask: boolean;
  /** The underlying analysis (source tree, substitutions), for the language service. */
  analysis: ValidationResult;
}

export function parseTaskText(text: string, options: ParseOptions = {}): ParseResult {
  const analysis = validateTaskText(text, options);
  const diagnostics = analysis.diagnostics;
  const detection = detectTask(
    text,
    analysis.documents.map((d) => d.doc),
    { fileName: options.fileName, taskFiles: options.taskFiles },
  );
  const result: ParseResult = { diagnostics, isTask: detection.isTask, analysis };
  if (options.buildTasks === false || diagnostics.some((d) => d.severity === 'error')) return result;
  try {
    result.taskFile = buildTaskFile(analysis, options);
  } catch (e) {
    if (!(e instanceof TaskValueError)) throw e;
    diagnostics.push({ severity: 'error', message: e.message, code: 'value', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } } });
  }
  return result;
}

function buildTaskFile(analysis: ValidationResult, options: ParseOptions): TaskFile {
  const file: TaskFile = { tasks: [] };
  for (const [index, d] of analysis.documents.entries()) {
    if (d.kind === 'header' && d.map) {
      const header = plainOf(d.map, d.replaced) as Record<string, unknown>;
      if (typeof header.name === 'string') file.name = header.name;
      if (typeof header.execution === 'string') file.execution = header.execution;
      if (Array.isArray(header.primary_tasks)) file.primaryTasks = header.primary_tasks.map(String);
      if (header.termination_delay !== undefined && header.termination_delay !== null)
        file.terminationDelay = header.termination_delay as NonNullable<TaskFile['terminationDelay']>;
      continue;
    }
    if (d.kind !== 'task' || !d.map) continue;
    const raw = plainOf(d.map, d.replaced) as Record<string, unknown>;
    const task: Task = buildTask(raw);
    if (options.fileName) task.origin = { file: options.fileName, document: index };
    for (const [k, v] of Object.entries(options.envOverrides ?? {})) task.envs[k] = v;
    for (const [k, v] of Object.entries(options.secretOverrides ?? {})) task.secrets[k] = v;
    file.tasks.push(task);
  }
  // An empty file is an empty task, as SkyPilot treats it.
  if (file.tasks.length === 0) file.tasks.push(buildTask({}));
  return file;
}

/** Reads and validates a task file; throws TaskValidationError listing every error. */
export function loadTaskFile(path: string, options: Omit<ParseOptions, 'fileName'> = {}): TaskFile {
  const text = readTaskSource(path);
  const r = parseTaskText(text, { ...options, fileName: path });
  if (!r.taskFile) throw new TaskValidationError(path, r.diagnostics);
  return r.taskFile;
}
