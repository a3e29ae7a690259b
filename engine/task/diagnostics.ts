/**
 * Diagnostics of the task language: the one shape shared by the validator, the language
 * server and `skydeck validate --json` (0-based LSP positions, UTF-16 columns).
 */
import { InputError } from '../errors';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

export type Severity = 'error' | 'warning' | 'information' | 'hint';

export interface TextEdit {
  range: Range;
  newText: string;
}

export interface DiagnosticFix {
  title: string;
  edits: TextEdit[];
}

export interface TaskDiagnostic {
  severity: Severity;
  message: string;
  /** Stable code, e.g. 'unknown-key', 'spot-recovery-removed', 'yaml-syntax'. */
  code: string;
  range: Range;
  fixes?: DiagnosticFix[];
}

/** A task file failed validation; carries every diagnostic (errors first). */
export class TaskValidationError extends InputError {
  readonly diagnostics: TaskDiagnostic[];
  readonly fileName: string;
  constructor(fileName: string, diagnostics: TaskDiagnostic[]) {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const lines = errors.map((d) => `${fileName}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.message}`);
    super(`Invalid task YAML ${fileName}:\n${lines.join('\n')}`, { code: 'INVALID_TASK' });
    this.diagnostics = diagnostics;
    this.fileName = fileName;
  }
}
