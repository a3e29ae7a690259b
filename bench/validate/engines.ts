/**
 * The two validators the bench compares, set up once for both the timing workers and the
 * diagnostics comparison: SkyDeck as the editor runs it per document version, and
 * yaml-language-server with the same JSON schema and YAML 1.1 (like SkyPilot).
 */
import * as fs from 'node:fs';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { getLanguageService } from 'yaml-language-server';
import { parseTaskText } from '../../engine/task/load';

/** What the editor runs per document version: layered validation + content detection. */
export const skydeckValidate = (text: string) => parseTaskText(text, { buildTasks: false }).diagnostics;

/** yaml-language-server validating against the schema at `schemaPath`; `i` names the document. */
export function ylsValidator(schemaPath: string): (text: string, i: number) => ReturnType<ReturnType<typeof getLanguageService>['doValidation']> {
  const schemaText = fs.readFileSync(schemaPath, 'utf8');
  const yls = getLanguageService({
    schemaRequestService: (uri: string) => (uri.endsWith('task.schema.json') ? Promise.resolve(schemaText) : Promise.reject(new Error(`no ${uri}`))),
    workspaceContext: { resolveRelativePath: (p: string) => p },
  });
  yls.configure({
    validate: true,
    hover: false,
    completion: false,
    yamlVersion: '1.1',
    schemas: [{ uri: 'file:///schemas/task.schema.json', fileMatch: ['*.yaml', '*.yml'], priority: 3 }],
  });
  let version = 0;
  return (text, i) => yls.doValidation(TextDocument.create(`file:///corpus/doc${i}.yaml`, 'yaml', ++version, text), false);
}
