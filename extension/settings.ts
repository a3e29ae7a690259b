/**
 * Typed access to the `skydeck.*` settings declared in package.json (contributes.configuration).
 * Read on use, never cached, so a change applies without a reload.
 */
import * as vscode from 'vscode';

export interface SkyDeckSettings {
  /** Globs of YAML files always treated as tasks (the server also detects by content). */
  taskFiles: string[];
  costLens: boolean;
  /** Seconds between periodic view refreshes (0 = only on store changes). */
  refreshInterval: number;
  /** Infra used when a task pins none, e.g. 'local' or 'gcp/us-central1'. Empty = let the optimizer choose. */
  defaultInfra: string;
  /** 'never' | 'daily' | 'weekly': how often the hosted catalog is refreshed. */
  catalogRefresh: string;
  logMaxLines: number;
}

export function settings(): SkyDeckSettings {
  const c = vscode.workspace.getConfiguration('skydeck');
  return {
    taskFiles: c.get<string[]>('taskFiles', ['**/*.sky.yaml', '**/*.sky.yml', '**/sky*.yaml']),
    costLens: c.get<boolean>('costLens.enabled', true),
    refreshInterval: c.get<number>('refreshInterval', 30),
    defaultInfra: c.get<string>('defaultInfra', ''),
    catalogRefresh: c.get<string>('catalog.refresh', 'weekly'),
    logMaxLines: c.get<number>('logs.maxLines', 10000),
  };
}

/** What the language server receives (initializationOptions and workspace/didChangeConfiguration). */
export function serverSettings(): Record<string, unknown> {
  const s = settings();
  return { taskFiles: s.taskFiles, costLens: s.costLens, defaultInfra: s.defaultInfra };
}
