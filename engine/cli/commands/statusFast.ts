/**
 * `skydeck status` without the CLI: the common listing (no cluster names, no refresh, no
 * endpoint flags) when no managed job is in progress and no service exists, which is then
 * three store reads and a table. The CLI entry (../entry.ts) runs it before loading the full
 * CLI bundle (commander, every verb group): reading and compiling that bundle was most of
 * what `status` cost. Anything else, including a store that fails to read, goes to the full
 * command, which prints the same bytes through the same ./statusTable and reports errors as
 * every command does.
 */
import * as fs from 'node:fs';
import { statusJson } from '../../cluster/format';
import { listClustersSync } from '../../cluster/records';
import { autostopNotesSync } from '../../cluster/autostopHistory';
import { openJobsStore } from '../../jobs/state';
import { isTerminal } from '../../jobs/types';
import { servicesTable } from '../../serve/state';
import { JOBS_HEADING, NO_JOBS_IN_PROGRESS, NO_LIVE_SERVICES, SERVICES_HEADING, statusText } from './statusTable';

interface FastStatusOptions {
  verbose: boolean;
  json: boolean;
  showJobs: boolean;
  showServices: boolean;
}

/** The options of a command line the fast path can answer exactly as the full command does, or undefined. */
export function fastStatusOptions(argv: string[]): FastStatusOptions | undefined {
  if (argv[0] !== 'status') return undefined;
  const o: FastStatusOptions = { verbose: false, json: false, showJobs: true, showServices: true };
  for (let i = 1; i < argv.length; i++) {
    // Later flags win, as in commander.
    switch (argv[i]) {
      case '-v':
      case '--verbose':
        o.verbose = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '--show-managed-jobs':
      case '--no-show-managed-jobs':
        o.showJobs = argv[i] === '--show-managed-jobs';
        break;
      case '--show-services':
      case '--no-show-services':
        o.showServices = argv[i] === '--show-services';
        break;
      default:
        return undefined;
    }
  }
  return o;
}

/**
 * Prints the status and returns true, or returns false having printed nothing (the full
 * command must answer). Reads are synchronous: the process does nothing else meanwhile, and
 * the promise-based file API costs more to load than the reads themselves.
 */
export function fastStatus(o: FastStatusOptions): boolean {
  // First what would need more code (managed jobs in progress, services): nothing is printed yet.
  if (o.showJobs && !o.json && Object.values(openJobsStore().readSync().jobs).some((j) => !isTerminal(j.status))) return false;
  if (o.showServices && !o.json && Object.keys(servicesTable().readSync().services).length) return false;
  const recs = listClustersSync();
  if (o.json) {
    writeOut(
      `${JSON.stringify(
        recs.map((r) => statusJson(r)),
        null,
        2,
      )}\n`,
    );
    return true;
  }
  let out = statusText(recs, o.verbose);
  for (const note of autostopNotesSync(recs, [])) out += `${note}\n`;
  if (o.showJobs) out += `${JOBS_HEADING}${NO_JOBS_IN_PROGRESS}\n`;
  if (o.showServices) out += `${SERVICES_HEADING}${NO_LIVE_SERVICES}\n`;
  writeOut(out);
  return true;
}

/**
 * Writes straight to descriptor 1: creating `process.stdout` (a stream, a socket for a pipe)
 * costs more than the listing. A reader that went away (EPIPE, or EIO from a closed terminal)
 * ends the command quietly, as it does the full CLI; a non-blocking descriptor that is full
 * (EAGAIN) gets the rest through process.stdout, which waits for it.
 */
function writeOut(text: string): void {
  const buf = Buffer.from(text);
  let off = 0;
  try {
    while (off < buf.length) off += fs.writeSync(1, buf, off);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'EIO') process.exit(0);
    if (code !== 'EAGAIN') {
      // Part of the listing may be out: never answer a second time through the full CLI.
      process.stderr.write(`Error: writing the status failed: ${(e as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'EIO') process.exit(0);
      throw err;
    });
    process.stdout.write(buf.subarray(off));
  }
}
