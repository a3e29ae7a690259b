/**
 * Quick fixes: the fixes a task's diagnostics carry (engine validation and catalog insights),
 * offered for the diagnostics that overlap the requested range. One fix is the preferred one.
 */
import type { CodeAction, Position, Range } from 'vscode-languageserver-types';
import { CodeActionKind } from 'vscode-languageserver-types';
import type { Insights } from '../../engine/optimizer/insightTypes';
import type { DocumentState } from './documentState';
import { SEVERITY, taskDiagnostics } from './diagnostics';

export function quickFixes(st: DocumentState, insights: Insights | undefined, range: Range): CodeAction[] {
  if (!st.isTask) return [];
  const out: CodeAction[] = [];
  for (const d of taskDiagnostics(st, insights)) {
    if (!d.fixes?.length || !overlaps(d.range, range)) continue;
    for (const fix of d.fixes) {
      out.push({
        title: fix.title,
        kind: CodeActionKind.QuickFix,
        isPreferred: d.fixes.length === 1,
        diagnostics: [{ range: d.range, severity: SEVERITY[d.severity], message: d.message, code: d.code, source: 'skydeck' }],
        edit: { changes: { [st.uri]: fix.edits } },
      });
    }
  }
  return out;
}

function overlaps(a: Range, b: Range): boolean {
  const before = (p: Position, q: Position) => p.line < q.line || (p.line === q.line && p.character < q.character);
  return !(before(a.end, b.start) || before(b.end, a.start));
}
