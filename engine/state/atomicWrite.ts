/**
 * Writes that readers never see half done and that only the owner can read: the text goes
 * to a temp file created 0600 (and chmod-ed, so the umask cannot widen or narrow it), which
 * then replaces the target by rename. State holds cluster handles and pool details, so
 * nothing in it is readable by other users.
 */
import * as fs from 'node:fs';

export const STATE_FILE_MODE = 0o600;
const STATE_DIR_MODE = 0o700;

/** node:crypto is required here, on the first write: readers (`status`) never pay for loading it. */
function tempFor(file: string): string {
  return `${file}.${process.pid}.${(require('node:crypto') as typeof import('node:crypto')).randomBytes(4).toString('hex')}.tmp`;
}

export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = tempFor(file);
  const fh = await fs.promises.open(tmp, 'wx', STATE_FILE_MODE);
  try {
    await fh.chmod(STATE_FILE_MODE);
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
  try {
    await fs.promises.rename(tmp, file);
  } catch (e) {
    await fs.promises.rm(tmp, { force: true });
    throw e;
  }
}

/** A new private temporary file beside `file` holding `text`; the caller renames or links it. */
function writePrivateTempSync(file: string, text: string): string {
  const tmp = tempFor(file);
  const fd = fs.openSync(tmp, 'wx', STATE_FILE_MODE);
  try {
    fs.fchmodSync(fd, STATE_FILE_MODE);
    fs.writeFileSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
  return tmp;
}

export function writeFileAtomicSync(file: string, text: string): void {
  const tmp = writePrivateTempSync(file, text);
  try {
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}

/** Creates `file` with `text` unless it exists (then leaves it alone); never a half-written file. */
export function createFileExclusiveSync(file: string, text: string): void {
  const tmp = writePrivateTempSync(file, text);
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Makes `dir` (and missing parents) and restricts it to its owner. */
export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
  const st = fs.statSync(dir);
  if ((st.mode & 0o777) !== STATE_DIR_MODE) fs.chmodSync(dir, STATE_DIR_MODE);
}
