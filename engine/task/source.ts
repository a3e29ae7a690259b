/**
 * Reading a task file from disk: only a regular file of sane size, decoded as UTF-8 as SkyPilot
 * does (a device such as /dev/zero would otherwise be read until memory runs out, and a binary
 * would be parsed as mojibake).
 */
import * as fs from 'node:fs';
import { InputError } from '../errors';

/** Far above any real task file (the largest in SkyPilot's examples is a few KB). */
const MAX_TASK_FILE_BYTES = 16 * 1024 * 1024;

export function readTaskSource(path: string): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(code === 'ENOENT' ? `Task file not found: ${path}` : `Cannot read task file ${path}: ${(e as Error).message}`, {
      code: 'TASK_FILE_UNREADABLE',
    });
  }
  if (!st.isFile()) {
    const what = st.isDirectory()
      ? 'a directory'
      : st.isFIFO()
        ? 'a pipe'
        : st.isCharacterDevice() || st.isBlockDevice()
          ? 'a device'
          : st.isSocket()
            ? 'a socket'
            : 'not a regular file';
    throw new InputError(`Cannot read task file ${path}: it is ${what}, not a regular file.`, { code: 'TASK_FILE_UNREADABLE' });
  }
  if (st.size > MAX_TASK_FILE_BYTES) {
    throw new InputError(
      `Task file ${path} is too large (${(st.size / 1024 / 1024).toFixed(1)} MiB; task files are at most ${MAX_TASK_FILE_BYTES / 1024 / 1024} MiB).`,
      { code: 'TASK_FILE_UNREADABLE' },
    );
  }
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    throw new InputError(`Cannot read task file ${path}: ${(e as Error).message}`, { code: 'TASK_FILE_UNREADABLE' });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new InputError(`${path} is not a valid UTF-8 text file and cannot be read as YAML.`, { code: 'TASK_FILE_UNREADABLE' });
  }
}
