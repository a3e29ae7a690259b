/**
 * Diagnostics: a config file's against SkyPilot's config schema; a task's from the engine's
 * validation (the same as `skydeck validate`), the catalog insights' constraint checks, its
 * `config:` block, container images and storage. Cached on the document state until the
 * document or the insights change.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import type { TaskDiagnostic } from '../../engine/task/diagnostics';
import type { Insights } from '../../engine/optimizer/insightTypes';
import { sitesOf, uriToPath, type DocumentState } from './documentState';
import { configFileDiagnostics, taskConfigDiagnostics } from './configFiles';
import { containerImageDiagnostics } from './containerImages';
import { storageDiagnostics } from './storageDiagnostics';
import { safe } from './advisory';

export const SEVERITY: Record<TaskDiagnostic['severity'], DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** The file's diagnostics in our own shape (the `skydeck validate --json` shape), insights included. */
export function taskDiagnostics(st: DocumentState, insights: Insights | undefined): TaskDiagnostic[] {
  if (!st.isTask) return [];
  const out = [...st.parse.diagnostics];
  if (insights && !out.some((d) => d.severity === 'error' && d.code === 'yaml-syntax')) {
    try {
      for (const d of insights.diagnostics(sitesOf(st))) {
        const td: TaskDiagnostic = { severity: d.severity, message: d.message, code: d.code, range: d.range };
        if (d.fixes?.length) td.fixes = d.fixes.map((f) => ({ title: f.title, edits: [{ range: f.range, newText: f.newText }] }));
        out.push(td);
      }
    } catch {
      // Insights are advisory: a failure there must not hide the task's own diagnostics.
    }
  }
  return out;
}

export function diagnostics(st: DocumentState, insights: Insights | undefined): Diagnostic[] {
  if (st.diagnostics) return st.diagnostics;
  if (st.isConfig) return (st.diagnostics = configFileDiagnostics(st.text, uriToPath(st.uri)));
  st.diagnostics = taskDiagnostics(st, insights).map((d) => ({
    range: d.range,
    severity: SEVERITY[d.severity],
    message: d.message,
    code: d.code,
    source: 'skydeck',
    ...(d.code === 'deprecated' ? { tags: [2] } : {}),
  }));
  if (st.isTask) st.diagnostics.push(...configBlockDiagnostics(st, st.diagnostics), ...containerImageDiagnostics(st.parse.analysis));
  if (st.isTask) st.diagnostics.push(...(safe(() => storageDiagnostics(st.parse.analysis.documents, st.parse.analysis.textMap)) ?? []));
  return st.diagnostics;
}

/** A task's `config:` against SkyPilot's config schema (configFiles.ts), minus what the task schema already said. */
function configBlockDiagnostics(st: DocumentState, have: Diagnostic[]): Diagnostic[] {
  const tm = st.parse.analysis.textMap;
  const out: Diagnostic[] = [];
  for (const d of st.parse.analysis.documents) {
    const entry = d.map?.entries.find((e) => e.key === 'config');
    if (!entry) continue;
    for (const diag of taskConfigDiagnostics(entry.value, tm, uriToPath(st.uri))) {
      if (!have.some((h) => h.range.start.line === diag.range.start.line && h.range.start.character === diag.range.start.character)) out.push(diag);
    }
  }
  return out;
}
