/**
 * The managed-job log: the job's output across every run, appended by the controller,
 * with one marker line at each recovery. A run's output is re-read from the cluster when
 * a controller restarts; the bytes already in the file are skipped, so nothing repeats.
 */
import * as fs from 'node:fs';

export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function endsWithNewline(file: string, size: number): boolean {
  if (size === 0) return true;
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size - 1);
    return b[0] === 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

const RECOVERY_MARKER_PREFIX = '[skydeck] ==== ';

/** Appends a marker line (on a line of its own). */
export function appendMarker(file: string, text: string): void {
  const nl = endsWithNewline(file, fileSize(file)) ? '' : '\n';
  fs.appendFileSync(file, `${nl}${RECOVERY_MARKER_PREFIX}${text} ====\n`);
}

/** Appends a run's output, dropping the first `skip` bytes (already written before a controller restart). */
export class SegmentWriter {
  constructor(
    private readonly file: string,
    private skip: number,
  ) {}

  append(chunk: string): void {
    let buf = Buffer.from(chunk, 'utf8');
    if (this.skip > 0) {
      if (buf.length <= this.skip) {
        this.skip -= buf.length;
        return;
      }
      buf = buf.subarray(this.skip);
      this.skip = 0;
    }
    fs.appendFileSync(this.file, buf);
  }
}

/**
 * A run's output as it goes into the job's log, by whichever reader has it at the time (its
 * live stream, or a read at its inspection): `offset` is how many bytes of the run's output
 * the log holds (also across a controller restart: the log's size past the run's segment
 * start), which is where the next read of the run's log on its node starts.
 */
export class RunOutput {
  constructor(
    private readonly file: string,
    private written: number,
  ) {}

  get offset(): number {
    return this.written;
  }

  append(chunk: string): void {
    const buf = Buffer.from(chunk, 'utf8');
    fs.appendFileSync(this.file, buf);
    this.written += buf.length;
  }
}

/** Reads `file` from `offset` to its end. */
export function readFrom(file: string, offset: number): { text: Buffer; end: number } {
  const size = fileSize(file);
  if (size <= offset) return { text: Buffer.alloc(0), end: offset };
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - offset);
    const n = fs.readSync(fd, buf, 0, buf.length, offset);
    return { text: buf.subarray(0, n), end: offset + n };
  } finally {
    fs.closeSync(fd);
  }
}
