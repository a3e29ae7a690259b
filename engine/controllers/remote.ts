/**
 * A client's connection to a controller cluster: the cluster brought UP by the cluster
 * engine (launched on first use, started when stopped), SkyDeck's bundle checked by the
 * version handshake (installed or upgraded when needed), and the `jobs`/`serve` verbs run
 * as the same CLI on the node over the exec transport, with SKYDECK_HOME on the node. The
 * controllers the remote CLI starts are detached processes on the node: recovery and the
 * load balancer go on with no client running.
 */
import type { ConfigMap } from '../config/types';
import { envAudience } from '../environment';
import { errorMessage, SkyDeckError } from '../errors';
import { openAccess, type ClusterAccess } from '../cluster/access';
import { clusters, enabledInfra, findCluster, type ClusterRecord } from '../cluster';
import type { ExecResult, Transport } from '../node/transport';
import { CONTROLLER_ROOT, installBundle, probeNode, providersFor, type NodeFacts } from './bundle';
import { credentialEnvFile, uploadCloudCredentials, uploadClusterKey, uploadConfig, uploadNodePools } from './credentials';
import { cloudCredentialPlan } from './cloudCredentials';
import { discoverController } from './discover';
import { clientIdentity, handshake, handshakeWhenDiffers } from './handshake';
import { controllerClusterName, controllerLabel, controllerOwner, type ControllerKind } from './names';
import { controllerAutostop, controllerTask } from './resources';

export interface ControllerConnection {
  kind: ControllerKind;
  record: ClusterRecord;
  transport: Transport;
  /** The node's address as this machine reaches it (the serve endpoint's host). */
  address: string;
  /** Absolute paths on the node. */
  root: string;
  home: string;
  node: string;
  /** Path on the node of the configuration the remote CLI runs with. */
  configFile?: string;
  close(): Promise<void>;
}

export interface ConnectOptions {
  /** Launch (or start) the controller cluster when it is missing or not UP. */
  launch: boolean;
  config: ConfigMap;
  /** Copy the configuration and credentials (submitting verbs). */
  uploadCredentials?: boolean;
  /** The controller cluster as discovery found it (discover.ts), when this machine has no record. */
  discovered?: ClusterRecord;
  onProgress?: (message: string) => void;
}

/** The address of a cluster's head node as this machine reaches it. */
function headAddress(rec: ClusterRecord): string {
  const head = [...rec.nodes].sort((a, b) => a.rank - b.rank)[0];
  return head?.externalIp ?? head?.ssh?.host ?? head?.internalIp ?? '127.0.0.1';
}

async function bringUp(kind: ControllerKind, name: string, options: ConnectOptions): Promise<ClusterRecord> {
  const say = options.onProgress ?? (() => undefined);
  const autostop = controllerAutostop(kind, options.config);
  say(
    `Starting the ${controllerLabel(kind)} cluster '${name}' (it keeps running your ${kind === 'jobs' ? 'managed jobs' : 'services'} while this machine is off).`,
  );
  const result = await clusters.launch(controllerTask(kind, options.config, name), {
    clusterName: name,
    // A controller "cluster" on this machine would stop with it: never local.
    blocked: ['local'],
    owner: controllerOwner(kind),
    detachRun: true,
    ...(autostop ? { idleMinutesToAutostop: autostop.idleMinutes, down: autostop.down } : {}),
    onProgress: (e) => say(e.message),
  });
  return result.cluster;
}

/** Environment of the remote CLI: tuning and test variables of this process are the controller's too. */
function forwardedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    const audience = envAudience(k);
    if (v !== undefined && (audience === 'tuning' || audience === 'test')) out[k] = v;
  }
  return out;
}

/** Unfinished jobs or services the installed controller reports (its own CLI, its own JSON). */
async function unfinishedOn(conn: ControllerConnection): Promise<number> {
  const argv = conn.kind === 'jobs' ? ['jobs', 'queue', '--json', '--skip-finished'] : ['serve', 'status', '--json'];
  const r = await runRemoteCli(conn, argv);
  if (r.exitCode !== 0) return 1; // cannot tell: treat as busy, never reinstall under running work
  try {
    return (JSON.parse(r.stdout) as unknown[]).length;
  } catch {
    return 1;
  }
}

/**
 * Connects to the kind's controller cluster; undefined when it does not exist and
 * `launch` is false. The caller closes the connection.
 */
export async function connectController(kind: ControllerKind, options: ConnectOptions): Promise<ControllerConnection | undefined> {
  const name = controllerClusterName(kind);
  // Another machine's controller is used as found; it is never launched or started from here.
  let rec = (await findCluster(name)) ?? options.discovered ?? (options.launch ? await discoverController(kind, { fresh: true }) : undefined);
  if (!rec && !options.launch) return undefined;
  if (!rec || rec.status !== 'UP') rec = await bringUp(kind, name, options);
  const access: ClusterAccess = await openAccess(rec);
  try {
    const facts: NodeFacts = await probeNode(access.head);
    const root = `${facts.home}/${CONTROLLER_ROOT}`;
    const conn: ControllerConnection = {
      kind,
      record: rec,
      transport: access.head,
      address: headAddress(rec),
      root,
      home: `${root}/home`,
      node: facts.node ?? '',
      close: () => access.close(),
    };
    const client = clientIdentity();
    const providers = providersFor(await enabledInfra());
    const first = handshake(facts.installed, client);
    let install = first.action === 'install' ? first.reason : undefined;
    if (first.action === 'ask-busy' && facts.installed && facts.node) {
      const decision = handshakeWhenDiffers(kind, name, facts.installed, client, await unfinishedOn(conn));
      if (decision.action === 'install') install = decision.reason;
      else options.onProgress?.(decision.note);
    }
    if (!install && facts.installed && providers.some((p) => !facts.installed!.providers.includes(p)) && (await unfinishedOn(conn)) === 0)
      install = 'infra was enabled since the controller was installed';
    if (install || !facts.node) {
      options.onProgress?.(`Installing SkyDeck ${client.version} on '${name}' (${install ?? 'no Node.js found'}).`);
      conn.node = await installBundle(access.head, facts, client, providers);
    }
    if (options.uploadCredentials) {
      await uploadNodePools(access.head, { home: conn.home });
      const plan = await uploadCloudCredentials(
        access.head,
        { home: conn.home },
        cloudCredentialPlan(process.env, { cloud: rec.handle.provider, clusterName: name }),
      );
      for (const note of plan.withheld.values()) options.onProgress?.(note);
      await uploadClusterKey(access.head, { home: conn.home });
      conn.configFile = await uploadConfig(access.head, { home: conn.home }, options.config);
    } else conn.configFile = `${conn.home}/config/controller-config.yaml`;
    return conn;
  } catch (e) {
    await access.close();
    throw e;
  }
}

/** Connects to the kind's controller cluster, launching it when missing. */
export async function ensureControllerCluster(kind: ControllerKind, options: Omit<ConnectOptions, 'launch'>): Promise<ControllerConnection> {
  const conn = await connectController(kind, { ...options, launch: true });
  if (!conn) throw new Error(`The ${controllerLabel(kind)} cluster could not be launched.`);
  return conn;
}

/**
 * The shell line that runs the installed CLI with the controller's environment: the cloud
 * credentials' variables (credentials.ts) are sourced from their file on the node, so they
 * never pass through an exec's argv or environment.
 */
const RUN_SCRIPT = [
  'R="$1"; NODE="$2"; CONFIG="$3"; shift 3',
  `[ -f "${credentialEnvFile({ home: '$R/home' })}" ] && . "${credentialEnvFile({ home: '$R/home' })}"`,
  'export SKYDECK_HOME="$R/home" SKYDECK_SSH_CONFIG="$R/home/ssh-config" SKYDECK_CONTROLLER=local',
  '[ -f "$CONFIG" ] && export SKYDECK_CONFIG="$CONFIG"',
  'mkdir -p "$SKYDECK_HOME" && cd "$SKYDECK_HOME" && exec "$NODE" "$R/bundle/dist/cli.js" "$@"',
].join('\n');

export interface RemoteRunOptions {
  stdin?: string;
  env?: Record<string, string>;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  signal?: AbortSignal;
}

/**
 * Every serve verb may restart a service's controller, so every one passes what the
 * controller needs on a controller cluster: the balancer on all addresses (the provider's
 * `ports` opened the range), the endpoint naming the node's reachable address.
 */
function serveEnv(conn: ControllerConnection): Record<string, string> {
  return { SKYDECK_SERVE_LB_HOST: '0.0.0.0', SKYDECK_SERVE_ENDPOINT_HOST: conn.address };
}

/** Runs `skydeck <argv>` on the controller node; never throws for a non-zero exit. */
export async function runRemoteCli(conn: ControllerConnection, argv: string[], options: RemoteRunOptions = {}): Promise<ExecResult> {
  return conn.transport.exec(['sh', '-c', RUN_SCRIPT, 'sh', conn.root, conn.node, conn.configFile ?? '', ...argv], {
    env: { ...forwardedEnv(), ...(conn.kind === 'serve' ? serveEnv(conn) : {}), ...options.env },
    ...(options.stdin !== undefined ? { stdin: options.stdin } : {}),
    ...(options.onStdout ? { onStdout: options.onStdout } : {}),
    ...(options.onStderr ? { onStderr: options.onStderr } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/** Runs a verb remotely with its output on this process's stdout/stderr; sets the exit code. */
export async function forwardVerb(conn: ControllerConnection, argv: string[], options: Omit<RemoteRunOptions, 'onStdout' | 'onStderr'> = {}): Promise<number> {
  try {
    const r = await runRemoteCli(conn, argv, { ...options, onStdout: (b) => process.stdout.write(b), onStderr: (b) => process.stderr.write(b) });
    if (r.exitCode !== 0) process.exitCode = r.exitCode;
    return r.exitCode;
  } catch (e) {
    if (options.signal?.aborted) return 0;
    throw new SkyDeckError('CONTROLLER_UNREACHABLE', `The ${controllerLabel(conn.kind)} on '${conn.record.name}' could not be reached: ${errorMessage(e)}`, {
      hint: `Run \`skydeck status -r ${conn.record.name}\` to check the controller cluster.`,
      cause: e,
    });
  }
}
