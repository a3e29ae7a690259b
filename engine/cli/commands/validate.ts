/**
 * `skydeck validate FILE... [--json] [--auto] [--format text|json|sarif]`: the diagnostics the
 * editor shows. Exit 1 when any error is found (design.md contract).
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import { collect, parseKeyValues } from '../taskOptions';
import { InputError } from '../../errors';
import { parseTaskText, type TaskDiagnostic } from '../../task/load';
import { readTaskSource } from '../../task/source';

interface FileResult {
  file: string;
  isTask: boolean;
  diagnostics: TaskDiagnostic[];
}

interface ValidateFlags {
  json?: boolean;
  auto?: boolean;
  format?: string;
  env?: string[];
}

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('Check SkyPilot task YAML files: schema, values and cross-field rules (what the editor shows).')
    .argument('<files...>', 'task YAML files')
    .option('--json', 'print [{file, isTask, diagnostics}] as JSON')
    .option('--auto', "apply the editor's content detection: files that are not tasks get isTask false and no diagnostics")
    .option('--format <format>', 'output format: text, json or sarif', 'text')
    .option('--env <NAME=VALUE>', 'override an env (as at launch); repeatable', collect)
    .action((files: string[], flags: ValidateFlags) => {
      const format = flags.json ? 'json' : (flags.format ?? 'text').toLowerCase();
      if (!['text', 'json', 'sarif'].includes(format)) throw new InputError(`Unknown --format '${flags.format}'. Use text, json or sarif.`);
      const envOverrides = parseKeyValues(flags.env ?? [], 'env');
      const results = files.map((f) => validateFile(f, !!flags.auto, envOverrides));
      if (format === 'json') process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
      else if (format === 'sarif') process.stdout.write(`${JSON.stringify(toSarif(results), null, 2)}\n`);
      else process.stdout.write(toText(results));
      const anyError = results.some((r) => r.diagnostics.some((d) => d.severity === 'error'));
      process.exitCode = anyError ? 1 : 0;
    });
}

function validateFile(file: string, auto: boolean, envOverrides: Record<string, string>): FileResult {
  let text: string;
  try {
    text = readTaskSource(file);
  } catch (e) {
    return {
      file,
      isTask: false,
      diagnostics: [
        {
          severity: 'error',
          code: 'file-unreadable',
          message: (e as Error).message,
          range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
        },
      ],
    };
  }
  const r = parseTaskText(text, { fileName: file, envOverrides });
  if (auto && !r.isTask) return { file, isTask: false, diagnostics: [] };
  // Fixes are an editor feature; the CLI contract prints diagnostics without them.
  return { file, isTask: auto ? r.isTask : true, diagnostics: r.diagnostics.map(({ fixes: _f, ...d }) => d) };
}

function toText(results: FileResult[]): string {
  let out = '';
  let errors = 0;
  let warnings = 0;
  for (const r of results) {
    if (!r.isTask) {
      out += `${r.file}: not a task file (skipped)\n`;
      continue;
    }
    for (const d of r.diagnostics) {
      if (d.severity === 'error') errors++;
      else if (d.severity === 'warning') warnings++;
      out += `${r.file}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity}: ${d.message} [${d.code}]\n`;
    }
  }
  const checked = results.filter((r) => r.isTask).length;
  out += `${checked} file${checked === 1 ? '' : 's'} checked: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}.\n`;
  return out;
}

const SARIF_LEVEL: Record<TaskDiagnostic['severity'], string> = { error: 'error', warning: 'warning', information: 'note', hint: 'note' };

function toSarif(results: FileResult[]): unknown {
  const rules = new Map<string, { id: string; shortDescription: { text: string } }>();
  const sarifResults = [];
  for (const r of results) {
    for (const d of r.diagnostics) {
      if (!rules.has(d.code)) rules.set(d.code, { id: d.code, shortDescription: { text: d.code.replace(/-/g, ' ') } });
      sarifResults.push({
        ruleId: d.code,
        level: SARIF_LEVEL[d.severity],
        message: { text: d.message },
        locations: [
          {
            physicalLocation: {
              artifactLocation: { uri: toUri(r.file) },
              region: {
                startLine: d.range.start.line + 1,
                startColumn: d.range.start.character + 1,
                endLine: d.range.end.line + 1,
                endColumn: d.range.end.character + 1,
              },
            },
          },
        ],
      });
    }
  }
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{ tool: { driver: { name: 'skydeck', informationUri: 'https://skydeck.dev', rules: [...rules.values()] } }, results: sarifResults }],
  };
}

function toUri(file: string): string {
  return path.isAbsolute(file) ? `file://${file.split(path.sep).map(encodeURIComponent).join('/')}` : file.split(path.sep).join('/');
}
