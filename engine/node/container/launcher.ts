/**
 * Rank launchers into node containers, for a multi-node cluster whose nodes are different
 * machines (SSH node pools, the VM clouds). The head's agent runs on the head's host, outside
 * its container, so it has the host's ssh client and keys: each rank starts through the
 * node's own launcher (the head itself, or ssh to the worker's host, engine/node/agent/spec.ts)
 * and then enters that node's container (by PID with nsenter where bring-up found that
 * possible, else `docker exec`, ./enter.ts). The rank's script, SKYPILOT_NODE_RANK/NODE_IPS
 * included, runs inside the container exactly as on a node without one.
 *
 * A launcher is an argv prefix that runs its one extra argument as a shell command line on the
 * node (agent.sh's contract). The entering part ends in `bash -c`, so the command line is
 * parsed inside the container (its `$HOME`, its PATH).
 */
import { shellJoin } from '../quote';
import { ENTER_SCRIPT, type ContainerEntry } from './enter';

export interface ContainerLaunchTarget {
  /** The container's name on the node. */
  name: string;
  /** HOME inside it: where the rank's command line starts. */
  home: string;
  /** Its first process as bring-up found it (undefined: `docker exec`). */
  entry?: ContainerEntry;
  /** Env for the docker client on the node (DOCKER_HOST), dropped before entering. */
  dockerEnv?: Record<string, string>;
}

/**
 * argv, run on the node's host, that runs its one extra argument with `bash -c` inside the
 * container. No env name is kept across (the empty list): the rank gets the container's own
 * env, as `docker exec` gives it, and its script exports the job's.
 */
export function enterContainerLauncher(target: ContainerLaunchTarget): string[] {
  const env = Object.entries(target.dockerEnv ?? {}).map(([k, v]) => `${k}=${v}`);
  const prefix = env.length ? ['env', ...env] : [];
  if (!target.entry) return [...prefix, 'docker', 'exec', '-i', '-w', target.home, target.name, 'bash', '-c'];
  const { pid, start } = target.entry;
  return [...prefix, 'bash', '-c', ENTER_SCRIPT, 'skydeck-enter', String(pid), start, target.home, '', target.name, 'bash', '-c'];
}

/**
 * Quotes the command line (the last argument) for the remote shell and appends it to `$1`,
 * a shell command line, as the one extra argument of the launcher in `$2..`. POSIX single
 * quotes, so any login shell on the worker parses it back to the same string.
 */
const COMPOSE = `p=$1; shift; c=\${!#}; set -- "\${@:1:$#-1}"; sq="'"; r="'\\\\''"; exec "$@" "$p '\${c//$sq/$r}'"`;

/**
 * The launcher that reaches a container through `hostLauncher` (the node's own launcher, run on
 * the head): the head's own launcher (`bash -c`) is replaced by the entering argv itself; any
 * other (ssh to a worker) is given the entering argv as a command line to run on its node.
 */
export function throughHostLauncher(hostLauncher: readonly string[], target: ContainerLaunchTarget): string[] {
  const enter = enterContainerLauncher(target);
  if (hostLauncher.length === 2 && hostLauncher[0] === 'bash' && hostLauncher[1] === '-c') return enter;
  return ['bash', '-c', COMPOSE, 'skydeck-launch', shellJoin(enter), ...hostLauncher];
}
