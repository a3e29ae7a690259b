/**
 * `skydeck volumes apply|ls|delete`, as SkyPilot's `sky volumes` verbs: apply takes a volume
 * YAML (name, type, infra, size, config) and/or the same fields as options, which win.
 */
import type { Command } from 'commander';
import { table } from '../../cluster/format';
import { InputError } from '../../errors';
import { loadVolumeFile, parseVolumeYaml } from '../../volumes/spec';
import { applyVolume, deleteVolume, listVolumes } from '../../volumes/manage';
import type { VolumeRecord } from '../../volumes/types';
import { confirm } from '../confirm';
import { stringify } from 'yaml';

/** `skydeck volumes ls --json`: one row per volume. */
export type VolumeJson = VolumeRecord;

function volumeJson(rec: VolumeRecord): VolumeJson {
  return { ...rec };
}

function age(iso: string): string {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function registerVolumes(program: Command): void {
  const volumes = program.command('volumes').description('Persistent volumes: create, list and delete (SkyPilot volume YAML).');
  volumes
    .command('apply')
    .description('Create a volume from a volume YAML (name, type, infra, size, config) and/or options.')
    .argument('[file]', 'volume YAML')
    .option('-n, --name <name>', 'volume name (overrides the YAML)')
    .option('--infra <infra>', 'k8s[/<context>], ssh/<pool> or local (overrides the YAML)')
    .option('--type <type>', 'k8s-pvc (overrides the YAML)')
    .option('--size <size>', 'size, e.g. 10Gi (overrides the YAML)')
    .option('--use-existing', 'adopt an existing PVC of that name instead of creating one')
    .option('-y, --yes', 'skip confirmation prompt')
    .action(async (file: string | undefined, opts: Record<string, unknown>) => {
      const fromFile = file ? (loadVolumeFile(file) as unknown as Record<string, unknown>) : undefined;
      // Options over the file, checked by the same reader so the errors name the same fields.
      const raw: Record<string, unknown> = fromFile
        ? {
            name: fromFile.name,
            type: fromFile.type,
            infra: `${(fromFile.infra as { cloud: string; region?: string }).cloud}${(fromFile.infra as { region?: string }).region ? `/${(fromFile.infra as { region?: string }).region}` : ''}`,
            ...(fromFile.sizeGi !== undefined ? { size: `${fromFile.sizeGi as number}Gi` } : {}),
            ...(fromFile.useExisting ? { use_existing: true } : {}),
            ...configOf(fromFile.config as Record<string, string | undefined>),
            ...(Object.keys(fromFile.labels as object).length ? { labels: fromFile.labels } : {}),
          }
        : {};
      if (opts.name !== undefined) raw.name = opts.name;
      if (opts.infra !== undefined) raw.infra = opts.infra;
      if (opts.type !== undefined) raw.type = opts.type;
      if (opts.size !== undefined) raw.size = opts.size;
      if (opts.useExisting) raw.use_existing = true;
      if (!file && raw.name === undefined) throw new InputError('volumes apply needs a volume YAML or --name, --type, --infra and --size.');
      const spec = parseVolumeYaml(stringify(raw), file ?? '<options>');
      if (!(await confirm(`Proceed to create volume '${spec.name}'?`, opts.yes))) return;
      const rec = await applyVolume(spec, (m) => process.stderr.write(`${m}\n`));
      process.stdout.write(`Created volume '${rec.name}' (${rec.type} on ${rec.infra}${rec.sizeGi !== undefined ? `, ${rec.sizeGi}Gi` : ''}).\n`);
    });
  volumes
    .command('ls')
    .description('List volumes.')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const rows = await listVolumes();
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(rows.map(volumeJson), null, 2)}\n`);
        return;
      }
      if (!rows.length) {
        process.stdout.write('No existing volumes.\n');
        return;
      }
      process.stdout.write(
        `${table(
          ['NAME', 'TYPE', 'INFRA', 'SIZE', 'CREATED', 'STATUS', 'USED_BY'],
          rows.map((r) => [r.name, r.type, r.infra, r.sizeGi !== undefined ? `${r.sizeGi}Gi` : '-', age(r.createdAt), r.status, r.usedBy.join(', ') || '-']),
        )}\n`,
      );
    });
  volumes
    .command('delete')
    .description('Delete volumes (and their data).')
    .argument('[names...]', 'volume names')
    .option('-a, --all', 'delete every volume')
    .option('-y, --yes', 'skip confirmation prompt')
    .action(async (names: string[], opts: { all?: boolean; yes?: boolean }) => {
      const targets = opts.all ? (await listVolumes()).map((v) => v.name) : names;
      if (opts.all && names.length) throw new InputError('Give volume names or --all, not both.');
      if (!targets.length) {
        if (!opts.all) throw new InputError('volumes delete needs volume names or --all.');
        process.stdout.write('No volumes to delete.\n');
        return;
      }
      if (!(await confirm(`Deleting volume(s) ${targets.join(', ')} and their data. Proceed?`, opts.yes))) return;
      const failed: string[] = [];
      for (const n of targets) {
        try {
          await deleteVolume(n, (m) => process.stderr.write(`${m}\n`));
          process.stdout.write(`Deleted volume '${n}'.\n`);
        } catch (e) {
          failed.push(`${n}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }
      if (failed.length) throw new InputError(failed.join('\n'));
    });
}

function configOf(c: Record<string, string | undefined>): Record<string, unknown> {
  const config: Record<string, string> = {};
  if (c.namespace) config.namespace = c.namespace;
  if (c.storageClassName) config.storage_class_name = c.storageClassName;
  if (c.accessMode) config.access_mode = c.accessMode;
  return Object.keys(config).length ? { config } : {};
}
