/**
 * bench/storage: 1,000 small files and one large file through SkyDeck's storage layer against
 * moto's S3, beside plain `rclone copy` of the same data in the same run (the baseline):
 *
 *   upload   storage object source -> bucket (SkyDeck's S3 upload)   vs  rclone copy dir -> bucket
 *   COPY     bucket -> a local node (mode: COPY)                     vs  rclone copy bucket -> dir
 *   MOUNT    read every byte through the FUSE mount (mode: MOUNT)    vs  the same rclone copy
 *
 * Options: --small N (files, default 1000), --small-kb K (default 100), --large-mb M (default
 * 1024; moto keeps objects in memory, so use less on a small machine), --runs R (default 1).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clusters, getCluster } from '../../engine/cluster';
import { openAccess } from '../../engine/cluster/access';
import { attachStorage, checkStorage, materializeStorage } from '../../engine/storage';
import { rcloneEnv } from '../../engine/storage/node/commands';
import { getStore } from '../../engine/storage/stores';
import { parseTaskText } from '../../engine/task/load';
import { startMoto } from '../../test/helpers/moto';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const SMALL = option('small', 1000);
const SMALL_KB = option('small-kb', 100);
const LARGE_MB = option('large-mb', 1024);
const RUNS = option('runs', 1);

function taskOf(yaml: string) {
  const r = parseTaskText(yaml);
  if (!r.taskFile) throw new Error(JSON.stringify(r.diagnostics));
  return r.taskFile.tasks[0];
}

async function timed(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * The baseline rclone, run asynchronously: this process drains moto's request log, and a
 * blocking spawnSync would let that pipe fill, moto's logging lock would then stall every
 * request thread and rclone with them (what made earlier full-size runs hang).
 */
function rclone(args: string[], env: Record<string, string>): Promise<void> {
  const childEnv = { ...process.env, ...env };
  delete childEnv.AWS_CA_BUNDLE;
  return new Promise((resolve, reject) => {
    const child = spawn('rclone', [...args, '--transfers', '16', '--checkers', '16'], { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`rclone ${args.join(' ')}: ${stderr}`))));
  });
}

async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-bench-storage-'));
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_SSH_CONFIG = path.join(home, 'user-ssh', 'config');
  const moto = await startMoto();
  process.env.AWS_ENDPOINT_URL_S3 = moto.url;
  process.env.AWS_ACCESS_KEY_ID = 'bench';
  process.env.AWS_SECRET_ACCESS_KEY = 'bench';
  process.env.AWS_REGION = 'us-east-1';
  try {
    const data = path.join(home, 'data');
    fs.mkdirSync(path.join(data, 'small'), { recursive: true });
    const chunk = Buffer.alloc(SMALL_KB * 1024, 7);
    for (let i = 0; i < SMALL; i++) fs.writeFileSync(path.join(data, 'small', `f${String(i).padStart(4, '0')}.bin`), chunk);
    const mb = Buffer.alloc(1024 * 1024, 9);
    const fd = fs.openSync(path.join(data, 'large.bin'), 'w');
    for (let i = 0; i < LARGE_MB; i++) fs.writeSync(fd, mb);
    fs.closeSync(fd);
    console.log(`data: ${SMALL} files x ${SMALL_KB} KB + one ${LARGE_MB} MB file; moto S3 at ${moto.url}; ${RUNS} run(s)`);

    const store = getStore('s3');
    const env = rcloneEnv(await store.rcloneRemote({ store: 's3', bucket: 'x', prefix: '' }));
    await clusters.launch(taskOf('resources:\n  infra: local\n'), { clusterName: 'bench-st' });
    const rec = await getCluster('bench-st');
    const access = await openAccess(rec);
    const node = access.transports[0];
    const rows: [string, number, number][] = [];
    try {
      for (let run = 0; run < RUNS; run++) {
        const b = `bench-st-${run}`;
        const upload = await timed(async () => {
          const mounts = await checkStorage(taskOf(`file_mounts:\n  ~/copy:\n    name: ${b}\n    source: ${data}\n    mode: COPY\n`));
          await materializeStorage(mounts, () => undefined);
        });
        const baseUpload = await timed(() => rclone(['copy', data, `skydeck:${b}-base`], env));
        rows.push(['upload (source -> bucket)', upload, baseUpload]);

        const target = { cluster: 'bench-st', cloud: 'local', nodes: access.nodes, transports: access.transports };
        const copyMounts = await checkStorage(taskOf(`file_mounts:\n  ~/copy-${run}:\n    name: ${b}\n    mode: COPY\n`));
        const copy = await timed(() => attachStorage(target, copyMounts, () => undefined));
        const baseDir = path.join(home, `base-${run}`);
        const baseCopy = await timed(() => rclone(['copy', `skydeck:${b}`, baseDir], env));
        rows.push(['COPY (bucket -> node)', copy, baseCopy]);

        const mountMounts = await checkStorage(taskOf(`file_mounts:\n  ~/mnt-${run}:\n    name: ${b}\n    mode: MOUNT\n`));
        await attachStorage(target, mountMounts, () => undefined);
        const readLarge = await timed(async () => {
          const r = await node.exec(['bash', '-c', `cat ~/mnt-${run}/large.bin > /dev/null`]);
          if (r.exitCode !== 0) throw new Error(r.stderr);
        });
        const baseLarge = await timed(() => rclone(['copy', `skydeck:${b}/large.bin`, path.join(home, `base-large-${run}`)], env));
        rows.push(['MOUNT read of the large file', readLarge, baseLarge]);
        const readSmall = await timed(async () => {
          const r = await node.exec(['bash', '-c', `cat ~/mnt-${run}/small/* > /dev/null`]);
          if (r.exitCode !== 0) throw new Error(r.stderr);
        });
        const baseSmall = await timed(() => rclone(['copy', `skydeck:${b}/small`, path.join(home, `base-small-${run}`)], env));
        rows.push(['MOUNT read of the small files', readSmall, baseSmall]);
        fs.rmSync(baseDir, { recursive: true, force: true });
      }
    } finally {
      await access.close();
      await clusters.down('bench-st');
    }
    console.log(`\n${'step'.padEnd(32)}${'skydeck s'.padStart(11)}${'rclone s'.padStart(11)}${'ratio'.padStart(8)}`);
    for (const [name, ours, base] of rows)
      console.log(`${name.padEnd(32)}${ours.toFixed(2).padStart(11)}${base.toFixed(2).padStart(11)}${(ours / base).toFixed(2).padStart(8)}`);
  } finally {
    await moto.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
