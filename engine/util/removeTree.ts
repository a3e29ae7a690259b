/**
 * `rm -rf` for a tree that a process may still be writing into (a node's agent, a job killed a
 * moment ago). fs.rm's own maxRetries only retries the final rmdir, never the children that
 * appeared after it listed them, so one file created mid-removal made it fail on every retry;
 * here the whole removal is repeated until the tree is gone. Asynchronous, so the pauses never
 * block the extension host or a controller.
 */
import * as fs from 'node:fs';
import { sleep } from './sleep';

export async function removeTree(dir: string, attempts = 50): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await fs.promises.rm(dir, { recursive: true, force: true });
      return;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EBUSY') || i >= attempts) throw e;
      await sleep(Math.min(10 * i, 100)); // let the writer finish or notice
    }
  }
}
