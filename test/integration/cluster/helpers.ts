/** Shared bits of the cluster integration tests: a fresh SKYDECK_HOME, tasks, waiting on conditions. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { InfraSpec, Task } from '../../../engine/task/types';
import { until } from '../../helpers/until';

/** A fresh SKYDECK_HOME (and user ssh config) for this test process; removed by the returned cleanup. */
export function freshHome(): { home: string; sshConfig: string; cleanup: () => void } {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'skydeck-cluster-test-'));
  const sshConfig = path.join(home, 'user-ssh', 'config');
  process.env.SKYDECK_HOME = home;
  process.env.SKYDECK_SSH_CONFIG = sshConfig;
  return { home, sshConfig, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

export function makeTask(fields: {
  run?: string;
  setup?: string;
  numNodes?: number;
  infra?: InfraSpec;
  envs?: Record<string, string>;
  workdir?: string;
  name?: string;
  fileMounts?: Record<string, string>;
}): Task {
  return {
    name: fields.name,
    numNodes: fields.numNodes ?? 1,
    run: fields.run,
    setup: fields.setup,
    workdir: fields.workdir,
    envs: { ...(fields.envs ?? {}) },
    secrets: {},
    fileMounts: { ...(fields.fileMounts ?? {}) },
    resources: { base: fields.infra ? { infra: fields.infra } : {}, candidates: [], mode: 'single' },
    raw: {},
  };
}

/** Re-checks `check` until it returns a value, re-checking at once when the store changes; fails after `timeoutMs`. */
export function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const state = process.env.SKYDECK_HOME ? [path.join(process.env.SKYDECK_HOME, 'state')] : [];
  return until(what, check, { timeoutMs, everyMs, watch: state }) as Promise<T>;
}

/** Fast agent timing: ticks of 100 ms, and an autostop "minute" of `minuteMs`. */
export function fastAgent(minuteMs = 400): void {
  process.env.SKYDECK_AGENT_TICK_MS = '100';
  process.env.SKYDECK_AGENT_MINUTE_MS = String(minuteMs);
  process.env.SKYDECK_AGENT_KILL_GRACE_MS = '1000';
}

/**
 * Makes the test hosts' key SkyDeck's own cluster key in `home` (keys/sky-key), so the VM a
 * fake cloud "launches" (mapped onto a test host) accepts SkyDeck's SSH connections.
 */
export function useTestHostKey(home: string, hosts: { keyPath: string; publicKey: string }): void {
  const keys = path.join(home, 'keys');
  fs.mkdirSync(keys, { recursive: true, mode: 0o700 });
  fs.copyFileSync(hosts.keyPath, path.join(keys, 'sky-key'));
  fs.chmodSync(path.join(keys, 'sky-key'), 0o600);
  fs.writeFileSync(path.join(keys, 'sky-key.pub'), `${hosts.publicKey.trim()}\n`);
}

/**
 * Points the AWS provider at moto with test credentials only (the user's own AWS files are
 * hidden), the small cloud catalog fixture, fast polling, and every instance mapped onto the
 * given test hosts in turn (moto's addresses lead nowhere).
 */
export function useMotoAws(home: string, motoProxyUrl: string, hosts: { user: string; host: string; port: number }[]): void {
  Object.assign(process.env, {
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    SKYDECK_AWS_ENDPOINT: motoProxyUrl,
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-aws-credentials'),
    AWS_CONFIG_FILE: path.join(home, 'no-aws-config'),
    SKYDECK_CATALOG_DIR: path.join(__dirname, '..', 'clouds', 'fixtures', 'catalog'),
    SKYDECK_CLOUD_POLL_MS: '50',
    SKYDECK_SSH_WAIT_SECONDS: '60',
    SKYDECK_TEST_ADDRESS_MAP: JSON.stringify({ '*': hosts.map((h) => `${h.user}@${h.host}:${h.port}`) }),
  });
}
