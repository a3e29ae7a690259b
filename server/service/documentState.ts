/**
 * What every feature of the language service reads: one document version parsed once, and
 * whether it is a task or a SkyPilot config file. The facade (languageService.ts) caches one
 * state per open document; the features fill in the lazily computed parts.
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { parseTaskText, type ParseResult } from '../../engine/task/load';
import type { ResourcesSite } from '../../engine/optimizer/insightTypes';
import { isConfigFilePath } from './configFiles';
import { resourcesSites } from './sites';

export interface TextDocumentLike {
  uri: string;
  version: number;
  getText(): string;
}

export interface ServiceSettings {
  /** `skydeck.taskFiles`: globs of files that are always tasks. */
  taskFiles?: string[];
}

export interface DocumentState {
  uri: string;
  version: number;
  text: string;
  parse: ParseResult;
  isTask: boolean;
  /** A SkyPilot config file (.sky.yaml, ~/.sky/config.yaml, ...): never a task (configFiles.ts). */
  isConfig: boolean;
  /** Diagnostics incl. insights, in LSP form (cached). */
  diagnostics?: Diagnostic[];
  /** Where resources are requested (cached: diagnostics and lenses both need them). */
  sites?: ResourcesSite[];
}

/** Parses one document version and decides whether the YAML is a task (modeline, globs, content). */
export function parseDocument(doc: TextDocumentLike, text: string, settings: ServiceSettings): DocumentState {
  const fileName = uriToPath(doc.uri);
  const parse = parseTaskText(text, { fileName, taskFiles: settings.taskFiles, buildTasks: false });
  const isConfig = isConfigFilePath(fileName);
  return { uri: doc.uri, version: doc.version, text, parse, isTask: parse.isTask && !isConfig, isConfig };
}

export function sitesOf(st: DocumentState): ResourcesSite[] {
  return (st.sites ??= resourcesSites(st.parse.analysis));
}

export function uriToPath(uri: string): string {
  if (!uri.startsWith('file://')) return uri;
  try {
    return decodeURIComponent(uri.slice('file://'.length));
  } catch {
    return uri.slice('file://'.length);
  }
}
