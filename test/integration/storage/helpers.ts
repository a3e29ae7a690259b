/** Storage tests: moto as the S3 endpoint (through the standard AWS_ENDPOINT_URL_S3), rclone and FUSE on this machine. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { motoInstalled, startMoto, type MotoServer } from '../../helpers/moto';
import { overrideStore } from '../../../engine/storage/stores';
import { parseTaskText } from '../../../engine/task/load';
import type { Task } from '../../../engine/task/types';

/** What the storage tests need from the machine, for requirePrerequisite. */
export function storagePrerequisites(): string | undefined {
  if (!motoInstalled()) return 'moto (bash scripts/setup/30-moto.sh)';
  if (spawnSync('rclone', ['version'], { stdio: 'ignore' }).status !== 0) return 'rclone (bash scripts/setup/40-storage.sh)';
  if (spawnSync('bash', ['-c', 'command -v fusermount3'], { stdio: 'ignore' }).status !== 0) return 'fuse3 (bash scripts/setup/40-storage.sh)';
  if (!fs.existsSync('/dev/fuse')) return '/dev/fuse';
  return undefined;
}

/** Starts moto and points the S3 store (and rclone on the nodes) at it with throwaway keys. */
export async function s3Endpoint(): Promise<MotoServer> {
  const moto = await startMoto();
  process.env.AWS_ENDPOINT_URL_S3 = moto.url;
  process.env.AWS_ACCESS_KEY_ID = 'testing-key-id';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing-secret-key';
  process.env.AWS_REGION = 'us-east-1';
  delete process.env.AWS_PROFILE;
  overrideStore('s3', undefined);
  return moto;
}

export function taskOf(yaml: string): Task {
  const r = parseTaskText(yaml);
  if (!r.taskFile) throw new Error(JSON.stringify(r.diagnostics));
  return r.taskFile.tasks[0];
}
