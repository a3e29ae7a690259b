/**
 * Editor diagnostics on a task's storage (file_mounts bucket URIs and storage objects): a store
 * whose cloud has no credentials (what `skydeck check` says), a `mode` the store does not
 * support, and a bucket name that breaks the store's naming rules (engine/storage/names.ts).
 */
import type { Diagnostic } from 'vscode-languageserver-types';
import { DiagnosticSeverity } from 'vscode-languageserver-types';
import type { AnalyzedDocument } from '../../engine/task/validate';
import type { TextMap, VEntry, VNode } from '../../engine/task/yamlTree';
import { bucketNameProblem } from '../../engine/storage/names';
import type { StoreKind } from '../../engine/storage/stores/types';
import { parseBucketUri, STORE_MODES, storeCredentials, type StorageMode } from './storageFacts';

const SUPPORTED_STORES = new Set(['s3', 'gcs', 'azure', 'r2']);

function scalarText(node: VNode | undefined): string | undefined {
  return node?.kind === 'scalar' && typeof node.value === 'string' ? node.value : undefined;
}

export function storageDiagnostics(documents: AnalyzedDocument[], tm: TextMap, env: NodeJS.ProcessEnv = process.env): Diagnostic[] {
  const out: Diagnostic[] = [];
  const warned = new Set<StoreKind>();
  const at = (node: { start: number; end: number }, severity: DiagnosticSeverity, code: string, message: string) =>
    out.push({ range: tm.range(node.start, node.end), severity, code, source: 'skydeck', message });

  const credentials = (store: StoreKind, node: VNode) => {
    const found = storeCredentials(store, env);
    if (!found || found.enabled) return;
    // Once per store per file: the same missing login would otherwise repeat on every mount.
    if (warned.has(store)) return;
    warned.add(store);
    at(node, DiagnosticSeverity.Warning, 'storage-no-credentials', `No credentials for ${store} storage: ${found.reason}`);
  };

  const uri = (node: VNode) => {
    const text = scalarText(node);
    // A URI with `$VAR`s is checked after substitution, at launch.
    const parsed = text && !text.includes('$') ? parseBucketUri(text) : undefined;
    if (!parsed) return undefined;
    const problem = parsed.bucket ? bucketNameProblem(parsed.store, parsed.bucket) : `The ${parsed.store} URI names no bucket.`;
    if (problem) at(node, DiagnosticSeverity.Error, 'storage-bucket-name', problem);
    credentials(parsed.store, node);
    return parsed;
  };

  const storageObject = (entries: VEntry[]) => {
    const get = (k: string) => entries.find((e) => e.key === k);
    const storeEntry = get('store');
    const storeText = scalarText(storeEntry?.value)?.toLowerCase();
    const sources = get('source')?.value;
    const sourceNodes = sources?.kind === 'seq' ? sources.items : sources ? [sources] : [];
    const fromSource = sourceNodes.map(uri).find(Boolean);
    const store = storeText ?? fromSource?.store;
    const modeEntry = get('mode');
    const mode = scalarText(modeEntry?.value)?.toUpperCase() as StorageMode | undefined;
    if (store && mode && modeEntry && STORE_MODES[store] && !STORE_MODES[store].includes(mode))
      at(
        modeEntry.value,
        DiagnosticSeverity.Error,
        'storage-mode',
        `mode ${mode} is not supported by the ${store} store (supported: ${STORE_MODES[store].join(', ')}).`,
      );
    if (!store || !SUPPORTED_STORES.has(store)) return;
    const nameEntry = get('name');
    const name = scalarText(nameEntry?.value);
    // A name with `$VAR`s is checked after substitution, at launch.
    if (nameEntry && name && !name.includes('$')) {
      const problem = bucketNameProblem(store as StoreKind, name);
      if (problem) at(nameEntry.value, DiagnosticSeverity.Error, 'storage-bucket-name', problem);
    }
    if (storeEntry && !fromSource) credentials(store as StoreKind, storeEntry.value);
  };

  for (const d of documents) {
    const fileMounts = d.map?.entries.find((e) => e.key === 'file_mounts')?.value;
    if (fileMounts?.kind !== 'map') continue;
    for (const mount of fileMounts.entries) {
      if (mount.value.kind === 'scalar') uri(mount.value);
      else if (mount.value.kind === 'map') storageObject(mount.value.entries);
    }
  }
  return out;
}
