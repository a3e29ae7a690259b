/**
 * What every cloud provider test sets up the same way: a launch request with sane defaults, an
 * SSH waiter that records instead of connecting, and a private SKYDECK_HOME with the process
 * environment restored afterwards.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { LaunchRequest } from '../../engine/infra/provider';
import { FakeKubernetes, type FakeKubernetesOptions } from './fakes/kubernetes';
import { referenceCatalogs } from './shared';

export const TEST_PUBKEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHbO1Jj2+6hQ4wq5C5c1oB8kz4c7w5b3m0s2Jx5n1p9X skydeck';

type Placement = Pick<LaunchRequest, 'clusterName' | 'nameOnCloud' | 'region' | 'zones' | 'instanceType'>;

/** A one-node on-demand request at `placement`, overridden by `over`. */
export function launchRequest(placement: Placement, over: Partial<LaunchRequest> = {}): LaunchRequest {
  return { ...placement, useSpot: false, numNodes: 1, diskSizeGb: 100, ports: [], labels: {}, sshPublicKey: TEST_PUBKEY, ...over };
}

/** An SSH waiter that records `host:port` and returns at once (no instance here runs sshd). */
export function recordingSshWaiter(): { waits: string[]; waitForSsh: (ep: { host: string; port: number }) => Promise<void> } {
  const waits: string[] = [];
  return { waits, waitForSsh: async (ep) => void waits.push(`${ep.host}:${ep.port}`) };
}

/**
 * Points the process at a fresh SKYDECK_HOME plus `vars`, with `unset` removed; `restore()` puts
 * the environment back and removes the home.
 */
export function useProviderEnv(prefix: string, vars: (home: string) => Record<string, string>, unset: string[] = []): { home: string; restore: () => void } {
  const saved = { ...process.env };
  const home = fs.mkdtempSync(path.join(os.tmpdir(), `skydeck-${prefix}-`));
  Object.assign(process.env, { SKYDECK_HOME: home, ...vars(home) });
  for (const k of unset) delete process.env[k];
  return {
    home,
    restore: () => {
      fs.rmSync(home, { recursive: true, force: true });
      process.env = saved;
    },
  };
}

/**
 * useProviderEnv for the fake Compute API (test/helpers/fakes/gcp.ts): the provider's endpoint, a
 * static token, the fake's project and the reference catalogs, with no ADC file and no address map.
 */
export function useFakeGcpEnv(
  prefix: string,
  computeUrl: string,
  extra: (home: string) => Record<string, string> = () => ({}),
): { home: string; restore: () => void } {
  return useProviderEnv(
    prefix,
    (home) => ({
      SKYDECK_GCP_ENDPOINT: computeUrl,
      SKYDECK_GCP_ACCESS_TOKEN: 'fake-token',
      GOOGLE_CLOUD_PROJECT: 'skydeck-test',
      CLOUDSDK_CONFIG: path.join(home, 'gcloud'),
      SKYDECK_CATALOG_DIR: referenceCatalogs(),
      ...extra(home),
    }),
    ['GOOGLE_APPLICATION_CREDENTIALS', 'SKYDECK_TEST_ADDRESS_MAP'],
  );
}

/**
 * useProviderEnv for moto's EC2 behind its proxy (test/helpers/moto.ts): static test keys, no
 * credential or config file, no instance metadata, us-east-1, and a short SSH wait.
 */
export function useMotoProviderEnv(
  prefix: string,
  motoProxyUrl: string,
  unset: string[] = ['SKYDECK_TEST_ADDRESS_MAP'],
): { home: string; restore: () => void } {
  return useProviderEnv(
    prefix,
    (home) => ({
      SKYDECK_AWS_ENDPOINT: motoProxyUrl,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
      AWS_CONFIG_FILE: path.join(home, 'no-config'),
      AWS_REGION: 'us-east-1',
      SKYDECK_SSH_WAIT_SECONDS: '5',
    }),
    unset,
  );
}

/**
 * A private SKYDECK_HOME whose Azure provider talks to the fake Resource Manager `az` with a
 * fixed token and the reference catalogs; `extra` adds variables, `unset` more names to clear.
 */
export function useFakeAzureProviderEnv(
  prefix: string,
  az: { url: string; certFile: string; subscription: string },
  options: { extra?: (home: string) => Record<string, string>; unset?: string[] } = {},
): { home: string; restore: () => void } {
  return useProviderEnv(
    prefix,
    (home) => ({
      SKYDECK_AZURE_ENDPOINT: az.url,
      SKYDECK_AZURE_CA_FILE: az.certFile,
      SKYDECK_AZURE_ACCESS_TOKEN: 'fake-token',
      AZURE_SUBSCRIPTION_ID: az.subscription,
      AZURE_CONFIG_DIR: path.join(home, 'azure'),
      SKYDECK_CATALOG_DIR: referenceCatalogs(),
      ...options.extra?.(home),
    }),
    ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_CLIENT_SECRET', 'SKYDECK_TEST_ADDRESS_MAP', ...(options.unset ?? [])],
  );
}

/** A request for the fake Kubernetes cluster: `numNodes` pods of 2 CPUs and 4 GB, the cluster's name on the cloud `<name>-abcd`. */
export function kubernetesLaunchRequest(name: string, numNodes = 1): LaunchRequest {
  return launchRequest({ clusterName: name, nameOnCloud: `${name}-abcd`, region: 'fake', zones: [], instanceType: '2CPU--4GB' }, { numNodes, diskSizeGb: 256 });
}

/**
 * useProviderEnv with the fake Kubernetes API server (test/helpers/fakes/kubernetes.ts)
 * started with `options`, its kubeconfig (context `fake`) as KUBECONFIG; `stop()` closes the
 * server, then puts the environment back.
 */
export async function useFakeKubernetes(
  prefix: string,
  options: FakeKubernetesOptions,
  vars: Record<string, string> = {},
  unset: string[] = [],
): Promise<{ fake: FakeKubernetes; home: string; stop: () => Promise<void> }> {
  const env = useProviderEnv(prefix, () => vars, unset);
  let fake: FakeKubernetes;
  try {
    fake = await FakeKubernetes.start(options);
  } catch (e) {
    env.restore();
    throw e;
  }
  process.env.KUBECONFIG = fake.writeKubeconfig(path.join(env.home, 'kubeconfig'), [{ name: 'fake' }]);
  return {
    fake,
    home: env.home,
    stop: async () => {
      await fake.close();
      env.restore();
    },
  };
}
