/**
 * The task a managed job was submitted with, kept beside the job (not in the store: it
 * may carry secrets) so a restarted controller runs exactly what was submitted.
 */
import * as fs from 'node:fs';
import { NotFoundError } from '../errors';
import type { TaskFile } from '../task/types';
import { taskFilePath } from './paths';

export function saveSubmittedTask(id: number, taskFile: TaskFile): void {
  const file = taskFilePath(id);
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(taskFile), { mode: 0o600 });
  fs.renameSync(tmp, file);
}

export function loadSubmittedTask(id: number): TaskFile {
  try {
    return JSON.parse(fs.readFileSync(taskFilePath(id), 'utf8')) as TaskFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFoundError(`The task of managed job ${id}`);
    throw e;
  }
}
