/**
 * The local side of a launch's storage, in two steps around provisioning:
 *
 *  - checkStorage (before anything is provisioned): every problem a user can fix in the task —
 *    unknown scheme, bad bucket name, a local source that does not exist, a bucket URI whose
 *    bucket does not exist — is one InputError naming each field. Read-only: nothing is created.
 *  - materializeStorage (after provisioning, before the file mounts): create each storage
 *    object's bucket when missing (recorded before it is created), upload its local source
 *    (.skyignore, else .gitignore, as the workdir sync and SkyPilot's storage upload do).
 *    A bucket created by a failed upload is deleted again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { errorMessage, InputError } from '../errors';
import { listSyncedFiles } from '../cluster/syncFilter';
import type { Task } from '../task/types';
import { storageTable } from './records';
import { locateField } from './locate';
import { planStorage, storageProblem, type PlannedMount, type StorageProblem } from './spec';
import { getStore } from './stores';
import type { ObjectStore, UploadResult } from './stores/types';
import { formatBucketUri } from './uri';

export interface CheckedMount extends PlannedMount {
  /** COPY of one object (a URI naming a key) rather than a prefix. */
  isFile?: boolean;
}

/** One error for every problem, each line led by `file:line:column:` when the task came from a file (as the editor shows it). */
function problemsError(problems: StorageProblem[], origin: Task['origin']): InputError {
  const line = (p: StorageProblem) => {
    const at = origin ? locateField(origin, p.path) : undefined;
    return `  ${at ? `${at}: ` : ''}${p.field}: ${p.message}`;
  };
  return new InputError(`Invalid file_mounts:\n${problems.map(line).join('\n')}`, {
    code: 'INVALID_STORAGE',
    hint: 'Fix these fields; nothing was provisioned or created.',
  });
}

/** Validates the task's bucket mounts before provisioning; returns them checked (empty when there are none). */
export async function checkStorage(task: Task, cloud?: string): Promise<CheckedMount[]> {
  const { mounts, problems } = planStorage(task, cloud);
  if (mounts.length === 0 && problems.length === 0) return [];
  const checked: CheckedMount[] = [];
  for (const m of mounts) {
    for (const local of m.localSources) {
      if (!fs.existsSync(local)) problems.push(storageProblem(m.dst, 'source', `local path ${local} does not exist.`));
    }
    let store: ObjectStore;
    try {
      store = getStore(m.ref.store);
    } catch (e) {
      problems.push(storageProblem(m.dst, m.kind === 'uri' ? undefined : 'store', errorMessage(e)));
      continue;
    }
    const c: CheckedMount = { ...m };
    if (!m.mayCreate) {
      const uri = formatBucketUri({ ...m.ref, prefix: '' });
      const where = m.kind === 'uri' ? undefined : 'source';
      if (!(await store.bucketExists(m.ref))) {
        problems.push(storageProblem(m.dst, where, `bucket ${uri} does not exist (SkyDeck only creates a bucket named by a storage object's name).`));
        continue;
      }
      if (m.kind === 'uri' && m.ref.prefix) {
        const keys = await store.list(m.ref);
        if (keys.length === 0) problems.push(storageProblem(m.dst, where, `nothing at ${formatBucketUri(m.ref)}.`));
        c.isFile = keys.includes(m.ref.prefix);
      }
    }
    checked.push(c);
  }
  if (problems.length) throw problemsError(problems, task.origin);
  return checked;
}

async function uploadSources(store: ObjectStore, m: CheckedMount): Promise<UploadResult> {
  const total: UploadResult = { files: 0, bytes: 0 };
  const single = m.localSources.length === 1;
  for (const local of m.localSources) {
    const st = fs.statSync(local);
    // One directory source fills the bucket; in a list, each path keeps its name (SkyPilot's layout).
    const prefix = single && st.isDirectory() ? '' : path.basename(local);
    const r = st.isDirectory()
      ? await store.upload({ ...m.ref, prefix }, local, listSyncedFiles(local))
      : await store.upload({ ...m.ref, prefix: '' }, path.dirname(local), [path.basename(local)]);
    total.files += r.files;
    total.bytes += r.bytes;
  }
  return total;
}

/** Creates and fills the storage objects' buckets; records every storage object. */
export async function materializeStorage(mounts: CheckedMount[], onMessage: (m: string) => void): Promise<void> {
  const table = storageTable();
  for (const m of mounts) {
    if (m.kind !== 'storage') continue;
    const store = getStore(m.ref.store);
    const name = m.name ?? m.ref.bucket;
    const uri = formatBucketUri({ ...m.ref, prefix: '' });
    let created = false;
    if (m.mayCreate && !(await store.bucketExists(m.ref))) {
      await table.update((t) => {
        const known = t.storage[name];
        t.storage[name] = {
          ...(known ?? { clusters: [], createdAt: new Date().toISOString() }),
          name,
          store: m.ref.store,
          ref: { ...m.ref },
          source: m.source,
          mode: m.mode,
          persistent: m.persistent,
          createdBySkydeck: true,
          status: 'INIT',
        };
      });
      onMessage(`Creating bucket ${uri}.`);
      await store.createBucket(m.ref);
      created = true;
    }
    let status: 'READY' | 'UPLOAD_FAILED' = 'READY';
    if (m.localSources.length) {
      try {
        const r = await uploadSources(store, m);
        onMessage(`Uploaded ${r.files} file(s), ${r.bytes} bytes, to ${uri}.`);
      } catch (e) {
        status = 'UPLOAD_FAILED';
        if (created) {
          await store.deleteBucket(m.ref).catch(() => undefined);
          await table.update((t) => void delete t.storage[name]);
        } else await table.update((t) => void (t.storage[name] && (t.storage[name].status = status)));
        throw new InputError(`${m.field}.source: uploading to ${uri} failed: ${errorMessage(e)}`, { code: 'STORAGE_UPLOAD_FAILED' });
      }
    }
    await table.update((t) => {
      const known = t.storage[name];
      t.storage[name] = {
        clusters: known?.clusters ?? [],
        createdAt: known?.createdAt ?? new Date().toISOString(),
        name,
        store: m.ref.store,
        ref: { ...m.ref },
        source: m.source,
        mode: m.mode,
        persistent: m.persistent,
        // Only a bucket this SkyDeck created is ever deleted; one that was already there stays the user's.
        createdBySkydeck: created || (known?.createdBySkydeck ?? false),
        status,
      };
    });
  }
}
