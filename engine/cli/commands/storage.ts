/** `skydeck storage ls [--json]` and `skydeck storage delete NAME... | -a [-y]` (SkyPilot's `sky storage`). */
import type { Command } from 'commander';
import { formatAgo } from '../../cluster/format';
import { confirm } from '../confirm';
import { expandNames } from '../globNames';
import { UsageError } from '../usageError';

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function registerStorage(program: Command): void {
  const storage = program.command('storage').description('Storage objects (buckets) used by tasks.');

  storage
    .command('ls')
    .description('List storage objects: name, store, source, mode, clusters using it, status.')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { storageRows } = await import('../../storage/manage');
      const rows = await storageRows();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      if (!rows.length) {
        process.stdout.write('No existing storage.\n');
        return;
      }
      const body = rows.map((r) => [
        r.name,
        formatAgo(Date.parse(r.createdAt)),
        r.store.toUpperCase(),
        r.source === undefined ? '-' : Array.isArray(r.source) ? r.source.join(', ') : r.source,
        r.mode,
        r.persistent ? 'yes' : 'no',
        r.clusters.join(', ') || '-',
        r.status,
      ]);
      process.stdout.write(`${table([['NAME', 'CREATED', 'STORE', 'SOURCE', 'MODE', 'PERSISTENT', 'CLUSTERS', 'STATUS'], ...body])}\n`);
    });

  storage
    .command('delete')
    .description('Delete storage objects: the buckets SkyDeck created, with their contents; others only leave the list.')
    .argument('[names...]', 'storage names or glob patterns')
    .option('-a, --all', 'delete every storage object')
    .option('-y, --yes', 'skip confirmation prompt')
    .action(async (names: string[], opts: { all?: boolean; yes?: boolean }) => {
      if (!opts.all && names.length === 0) throw new UsageError('Give storage names to delete, or --all.');
      if (opts.all && names.length) throw new UsageError('Give either storage names or --all, not both.');
      const { deleteStorage, storageRows } = await import('../../storage/manage');
      const existing = (await storageRows()).map((r) => r.name);
      const chosen = opts.all ? existing : expandNames(names, existing, (p) => process.stderr.write(`No storage matches '${p}'.\n`));
      if (!chosen.length) {
        process.stdout.write('No storage to delete.\n');
        return;
      }
      if (!(await confirm(`Deleting storage object(s): ${chosen.join(', ')}. Proceed?`, opts.yes))) return;
      await deleteStorage(chosen, (m) => process.stdout.write(`${m}\n`));
    });
}
