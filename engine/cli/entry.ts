/**
 * The `skydeck` executable (dist/cli.js). A plain `skydeck status` is answered by
 * ./commands/statusFast.ts from this small bundle; every other command line (and a status the
 * fast path declines) loads the full CLI bundle (dist/cli-full.js, ./main.ts) and runs it.
 * Reading and compiling the full bundle costs more than the whole listing.
 */
import * as path from 'node:path';
import { fastStatus, fastStatusOptions } from './commands/statusFast';

function runFullCli(): void {
  // Required by path: the full CLI is a bundle of its own, never inlined into this one.
  const full = path.join(__dirname, 'cli-full.js');
  (require(full) as typeof import('./main')).runFromProcess();
}

const fast = fastStatusOptions(process.argv.slice(2));
if (!fast) runFullCli();
else {
  let done = false;
  try {
    done = fastStatus(fast);
  } catch {
    // A store that fails to read (nothing was printed): the full command reports it as every command does.
  }
  if (!done) runFullCli();
}
