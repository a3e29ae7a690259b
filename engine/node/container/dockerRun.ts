/**
 * The container a `docker:` task's node runs in, as SkyPilot starts it (sky/provision/
 * docker_utils.py): one per node, host network, a large /dev/shm (45% of the node's memory),
 * GPUs passed through when the node's Docker has the NVIDIA runtime, FUSE for storage mounts,
 * `docker.run_options` from the config appended. Kept alive by `sleep infinity` under
 * docker's init, so `docker stop` ends it at once and `docker start` brings it back with its
 * files. The node-dependent parts (GPUs, shm, FUSE) are decided by the script on the node.
 */
import { shellJoin, shellQuote } from '../quote';
import { ENTER_SCRIPT, FIND_ENTRY_SCRIPT } from './enter';
import { CALL_SERVER_DIR, CALL_SERVER_SCRIPT, callServerEnabled } from './callServerScript';

/** What a cluster runs its nodes in (stored in the cluster record: no credentials). */
export interface ContainerSpec {
  /** The image without the `docker:` prefix. */
  image: string;
  /** Extra `docker run` options (SkyPilot's `docker.run_options`: shell fragments, the user's own config, as SkyPilot splices them). */
  runOptions: string[];
}

/** What the provider adds for one node (the `local` node's directory, its env). */
export interface NodeContainerOptions {
  /** Host paths mounted at the same path inside. */
  binds?: string[];
  /** Container env (not secret: `docker run -e` is in argv). */
  env?: Record<string, string>;
  /**
   * Give the container the node's docker client and daemon socket (DOCKER_CLI_IN_CONTAINER,
   * DOCKER_SOCKET_IN_CONTAINER): the head of a multi-node cluster whose nodes share one
   * daemon starts the other ranks in their containers through it (containerRankLauncher).
   */
  dockerClient?: boolean;
}

/**
 * Whether the container mounts the node's HOME at the same path and runs with it as its HOME
 * (`local` nodes): everything under it, the agent's directory included, is then the same
 * files on the node and inside, before the container even exists.
 */
export function homeSharedWithNode(node: NodeContainerOptions): boolean {
  const home = node.env?.HOME;
  return !!home && (node.binds ?? []).includes(home);
}

/** Where a container given the node's docker client finds it, and the daemon's socket. */
export const DOCKER_CLI_IN_CONTAINER = '/opt/skydeck/bin/docker';
export const DOCKER_SOCKET_IN_CONTAINER = '/opt/skydeck/docker.sock';

/** Registry credentials, only ever passed on stdin (SKYPILOT_DOCKER_USERNAME/PASSWORD/SERVER). */
export interface RegistryLogin {
  username: string;
  password: string;
  server: string;
}

/** Exit codes of the bring-up script, each with its own message. */
export const CONTAINER_EXIT = { noDocker: 97, noDaemon: 98, login: 96, pull: 95, run: 94 } as const;

/** `docker:<image>` -> `<image>`; undefined for anything else. */
export function dockerImageName(imageId: string | undefined): string | undefined {
  if (!imageId?.startsWith('docker:')) return undefined;
  const image = imageId.slice('docker:'.length).trim();
  return image || undefined;
}

/**
 * The container's name for node `rank` of a cluster named `nameOnCloud` on the infra. `id`
 * (random, chosen at launch) keeps two clusters apart whose names on the infra are the same
 * but whose nodes share one Docker daemon: the same cluster name under two SKYDECK_HOMEs.
 */
export function containerName(nameOnCloud: string, rank: number, id?: string): string {
  return `skydeck-${nameOnCloud.replace(/[^a-zA-Z0-9_.-]/g, '-')}${id ? `-${id}` : ''}-${rank}`;
}

/** `docker run` argv up to the image, for the parts that do not depend on the node. */
function runArgv(spec: ContainerSpec, name: string, node: NodeContainerOptions = {}): string[] {
  const argv = ['docker', 'run', '-d', '--name', name, '--init', '--network', 'host', '--entrypoint', 'sleep'];
  for (const b of node.binds ?? []) argv.push('-v', `${b}:${b}`);
  for (const [k, v] of Object.entries(node.env ?? {})) argv.push('-e', `${k}=${v}`);
  return argv;
}

/**
 * After `docker run -d` printed the new container's id (the last line of `$err`): its first
 * process found without asking docker again (another CLI start and daemon round trip), by
 * the container's cgroup (cgroupfs or systemd layout, v1 or v2), as the process that is PID 1
 * in its own PID namespace; its uid stands for Config.User. Sets `info` as the inspect line
 * would; leaves it empty when not found (the caller then asks `docker inspect`).
 */
const STARTED_INFO_SCRIPT = `cid=\${err##*$'\\n'}
    for d in "/sys/fs/cgroup/pids/docker/$cid" "/sys/fs/cgroup/pids/system.slice/docker-$cid.scope" "/sys/fs/cgroup/system.slice/docker-$cid.scope" "/sys/fs/cgroup/docker/$cid"; do
      [ -r "$d/cgroup.procs" ] || continue
      while read -r p; do
        uid= ns=
        while read -r k v r; do case "$k" in Uid:) uid=$v ;; NSpid:) ns=\${r##*[[:space:]]} ;; esac; done 2>/dev/null < "/proc/$p/status"
        if [ "$ns" = 1 ] && [ -n "$uid" ]; then info="true $p $cid $uid"; break 2; fi
      done < "$d/cgroup.procs"
    done`;

/**
 * Starts the call server inside the container (./callServerScript.ts) through the entry, in
 * the background: bring-up does not wait for it (calls before it is ready enter the container
 * as before). Job control gives it default signal dispositions (a plain `&` would have it, and
 * every call it runs, ignore SIGINT and SIGQUIT).
 */
function callServerStart(home: string, name: string): string {
  const argv = ['skydeck-enter', '$pid_start', home, '', name, 'bash', '-c', CALL_SERVER_SCRIPT, 'skydeck-calls', `${home}/${CALL_SERVER_DIR}`];
  const args = argv.map((a) => (a === '$pid_start' ? '$entry' : shellQuote(a))).join(' ');
  return `if [ "$entry" != docker ]; then
  set -m
  bash -c ${shellQuote(ENTER_SCRIPT)} ${args} </dev/null >/dev/null 2>&1 &
  set +m
fi`;
}

/**
 * The script that makes the node's container run (one round trip): running -> nothing;
 * stopped -> `docker start`; absent -> log in (password on stdin's first line), pull when the
 * image is missing, `docker run`. Prints two lines: how to enter it (`PID START` for nsenter,
 * ./enter.ts, or `docker`), then the container's HOME. One `docker inspect` when it runs
 * already, two after a `docker start` (the PID exists only once it runs); after `docker run`
 * none where the new container's cgroup names its first process (STARTED_INFO_SCRIPT). `fresh` (the cluster's first
 * bring-up) skips the first inspect and, without a login, the image check: `docker run`
 * pulls a missing image itself, and a container that exists after all (an earlier bring-up
 * that failed before recording anything) is started instead.
 */
export function ensureContainerScript(
  spec: ContainerSpec,
  name: string,
  node: NodeContainerOptions,
  login: { username: string; server: string } | undefined,
  fresh = false,
): string {
  const q = shellQuote;
  const image = q(spec.image);
  const loginCmd = login
    ? `IFS= read -r pw || true
cfg=$(mktemp -d); export DOCKER_CONFIG="$cfg"; trap 'rm -rf "$cfg"' EXIT
printf '%s' "$pw" | docker login --username ${q(login.username)} --password-stdin ${q(login.server)} >/dev/null 2>"$cfg/err" || { sed 's/^/docker login: /' "$cfg/err" >&2; exit ${CONTAINER_EXIT.login}; }
unset pw`
    : '';
  const knownHome = node.env?.HOME;
  const inspect = `docker inspect --format '{{.State.Running}} {{.State.Pid}} {{.Id}} {{.Config.User}}' ${q(name)}`;
  // Each docker CLI call costs 0.1-0.3 s on a busy node: the daemon is asked only when needed.
  return `set -u
command -v docker >/dev/null 2>&1 || exit ${CONTAINER_EXIT.noDocker}
info=
${
  fresh
    ? ''
    : `if ! info=$(${inspect} 2>&1); then
  case "$info" in *"No such"*) info= ;; *) printf '%s\\n' "$info" | tail -1 >&2; exit ${CONTAINER_EXIT.noDaemon} ;; esac
fi`
}
state=\${info%% *}
if [ "$state" = false ]; then docker start ${q(name)} >/dev/null || exit ${CONTAINER_EXIT.run}; fi
if [ -z "$state" ]; then
  ${
    login || !fresh
      ? `if ! docker image inspect --format 1 ${image} >/dev/null 2>&1; then
    ${loginCmd}
    docker pull -q ${image} >/dev/null || exit ${CONTAINER_EXIT.pull}
  fi`
      : ''
  }
  extra=()
  # SkyPilot passes the GPUs through when the node has NVIDIA's driver and container runtime.
  if command -v nvidia-container-runtime >/dev/null 2>&1 || command -v nvidia-smi >/dev/null 2>&1; then extra+=(--gpus all); fi
  ${
    node.dockerClient
      ? `sock=\${DOCKER_HOST:-unix:///var/run/docker.sock}; sock=\${sock#unix://}
  extra+=(-v "$(command -v docker):${DOCKER_CLI_IN_CONTAINER}:ro" -v "$sock:${DOCKER_SOCKET_IN_CONTAINER}")`
      : ''
  }
  mem_kb=$(sed -n 's/^MemTotal: *\\([0-9]*\\) kB/\\1/p' /proc/meminfo)
  [ -n "$mem_kb" ] && extra+=("--shm-size=$((mem_kb * 45 / 100))k")
  if [ -e /dev/fuse ]; then extra+=(--cap-add SYS_ADMIN --device /dev/fuse); fi
  if ! err=$(${shellJoin(runArgv(spec, name, node))} "\${extra[@]}" ${spec.runOptions.join(' ')} ${image} infinity 2>&1); then
    case "$err" in
      *"Cannot connect to the Docker daemon"* | *"permission denied while trying to connect"*) printf '%s\\n' "$err" | tail -1 >&2; exit ${CONTAINER_EXIT.noDaemon} ;;
      *Conflict*) docker start ${q(name)} >/dev/null || exit ${CONTAINER_EXIT.run} ;;
      *)
        printf '%s\\n' "$err" | tail -3 >&2
        docker image inspect --format 1 ${image} >/dev/null 2>&1 || exit ${CONTAINER_EXIT.pull}
        exit ${CONTAINER_EXIT.run} ;;
    esac
  else
    ${STARTED_INFO_SCRIPT}
  fi
fi
if [ "\${info%% *}" != true ]; then info=$(${inspect}) || exit ${CONTAINER_EXIT.run}; fi
read -r _ pid cid user <<< "$info"
user=\${user:-}
${FIND_ENTRY_SCRIPT}
printf '%s\\n' "$entry"
${knownHome && homeSharedWithNode(node) && callServerEnabled() ? callServerStart(knownHome, name) : ''}
${
  knownHome
    ? `printf '%s\\n' ${q(knownHome)}`
    : `home=; [ "$entry" != docker ] && home=$(tr '\\0' '\\n' < "/proc/$pid/environ" | sed -n 's/^HOME=//p' | head -1)
[ -n "$home" ] || home=$(docker exec ${q(name)} sh -c 'printf "%s\\n" "$HOME"')
printf '%s\\n' "$home"`
}
`;
}
