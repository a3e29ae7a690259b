/**
 * `rm -rf` for a tree that a process may still be writing into (a node's agent, a job killed a
 * moment ago). fs.rmSync's own maxRetries only retries the final rmdir, never the children that
 * appeared after it listed them, so one file created mid-removal made it fail on every retry;
 * here the whole removal is repeated until the tree is gone.
 */
import * as fs from 'node:fs';

export function removeTree(dir: string, attempts = 50): void {
  for (let i = 1; ; i++) {
    try {
      fs.rmSync(dir, { recursive: true, force: true });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EBUSY') || i >= attempts) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(10 * i, 100)); // let the writer finish or notice
    }
  }
}
