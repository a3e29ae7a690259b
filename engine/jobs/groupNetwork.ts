/**
 * How the tasks of a job group find each other (SkyPilot's sky/jobs/job_group_networking.py).
 *
 * SkyPilot names every node `<task>-<rank>.<group>` and, once every task's cluster is up,
 * writes those names into each node's /etc/hosts (with sudo; on Kubernetes a DNS updater
 * does it), re-writing them on every node when a task recovers on a new node. Each task's
 * run starts behind a prelude that waits for that set-up (best effort: it goes on after a
 * timeout). The task gets `SKYPILOT_JOBGROUP_NAME`; earlier SkyPilot versions also set
 * `SKYPILOT_JOBGROUP_HOST_<TASK>` (the task's head hostname).
 *
 * SkyDeck does the same where the node lets it, and gives every task what works without
 * root on every infra: a file on each node (`~/.skydeck_node/jobgroup.env`) exporting
 * `SKYPILOT_JOBGROUP_HOST_<TASK>` = that task's head address (its internal IP), and
 * `~/.skydeck_node/jobgroup.hosts` with every node's `<ip> <task>-<rank>.<group>` line.
 * The run prelude waits for them and exports the addresses into the run's environment. The
 * controller writes both (and /etc/hosts where it can) when every task has a cluster, and
 * again when a task comes back on new nodes: a running program that re-reads the hosts file
 * sees the new address (its environment keeps the one it started with).
 *
 * /etc/hosts is written only where that is the node's own file and the node's user may:
 * root, or passwordless sudo (Kubernetes pods and containers usually run as root). Never on
 * `local`, whose nodes share this machine's /etc/hosts. Where it is not written, the
 * controller says so in the task's log and the controller log, naming the infra.
 */
import * as fs from 'node:fs';
import { shellQuote } from '../node/quote';

/** Where the addresses live on every node of a job group's task (the node's SkyDeck directory). */
export const GROUP_ENV_FILE = '.skydeck_node/jobgroup.env';
export const GROUP_HOSTS_FILE = '.skydeck_node/jobgroup.hosts';

/** How long a task's run waits for the group's addresses before it starts anyway (SkyPilot: 10 min for its marker). */
export const NETWORK_WAIT_SECONDS = 600;

/** SkyPilot's hostname of a node of a job group's task. */
export function groupHostname(task: string, rank: number, group: string): string {
  return `${task}-${rank}.${group}`;
}

/** `SKYPILOT_JOBGROUP_HOST_<TASK>`: upper case, anything but letters, digits and `_` becomes `_` (SkyPilot: hyphens). */
export function hostEnvName(task: string): string {
  return `SKYPILOT_JOBGROUP_HOST_${task.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** One task's nodes, in rank order (head first). */
export interface GroupMember {
  task: string;
  ips: string[];
}

/** The env file: one export per task with a head address. */
export function envFileContent(members: GroupMember[]): string {
  return members
    .filter((m) => m.ips.length > 0)
    .map((m) => `export ${hostEnvName(m.task)}=${shellQuote(m.ips[0])}\n`)
    .join('');
}

/** The hosts file (and what goes into /etc/hosts): `<ip> <task>-<rank>.<group>` for every node. */
export function hostsFileContent(group: string, members: GroupMember[]): string {
  return members.flatMap((m) => m.ips.map((ip, rank) => `${ip} ${groupHostname(m.task, rank, group)}\n`)).join('');
}

/** The tag on the /etc/hosts lines SkyDeck adds for a group (replaced as a whole on every update). */
function hostsTag(group: string): string {
  return `# skydeck job group ${group}`;
}

/**
 * Where a node stands for /etc/hosts: `infra` names it in the warning; `etcHosts` false where
 * /etc/hosts is not the node's own; `warnInRun` false where the launch already warned (a task
 * pinned to `local` is told at `jobs launch`).
 */
export interface NodePlace {
  infra: string;
  etcHosts: boolean;
  warnInRun: boolean;
  /**
   * The controller machine's `<machine-id>:<dev>:<inode>` of its /etc/hosts (hostsIdentity):
   * a node showing the same shares the controller's file (a process of this machine, as fake
   * pods and test sshds in network namespaces are) and is left alone.
   */
  controllerHosts?: string;
  /** The hosts file to write (tests point it elsewhere); default /etc/hosts. */
  hostsPath?: string;
}

/** This machine's identity of a hosts file, as the node script computes its own (NodePlace.controllerHosts). */
export function hostsIdentity(hostsPath = '/etc/hosts'): string | undefined {
  try {
    const st = fs.statSync(hostsPath);
    return `${fs.readFileSync('/etc/machine-id', 'utf8').trim()}:${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * The script the controller runs on every node of every task: replaces the group's lines in
 * /etc/hosts in place where it may (a bind-mounted /etc/hosts, as in pods and containers,
 * cannot be renamed over), then writes the hosts file and, last (the run prelude waits for
 * it), the env file. Where /etc/hosts was not written the env file also prints a warning
 * into the run's output naming the field and the infra. Prints `HOSTS written` or `HOSTS
 * skipped: <why>` for the controller log.
 */
export function publishScript(group: string, members: GroupMember[], place: NodePlace): string {
  const hosts = hostsFileContent(group, members);
  const tag = hostsTag(group);
  const tagged = hosts
    .split('\n')
    .filter(Boolean)
    .map((l) => `${l}  ${tag}`)
    .join('\n');
  const names = `${groupHostname('<task>', 0, group).replace('-0.', '-<rank>.')}`;
  const warning = `[SkyDeck] Warning: execution: parallel: the job group's hostnames (${names}) are not in /etc/hosts on this node (infra ${place.infra}): `;
  const advice = `; reach the other tasks at $SKYPILOT_JOBGROUP_HOST_<TASK> or the addresses in ~/${GROUP_HOSTS_FILE}`;
  const lines = ['mkdir -p "$HOME/.skydeck_node" || exit 1'];
  if (!place.etcHosts) lines.push(`why=${shellQuote("its nodes share the machine's /etc/hosts")}`);
  else
    lines.push(
      'why=""',
      `H=${shellQuote(place.hostsPath ?? '/etc/hosts')}`,
      ...(place.controllerHosts
        ? [
            `[ "$(cat /etc/machine-id 2>/dev/null):$(stat -c %d:%i "$H" 2>/dev/null)" = ${shellQuote(place.controllerHosts)} ] && why="it shares the controller machine's /etc/hosts"`,
          ]
        : []),
      'if [ -n "$why" ]; then :; elif [ "$(id -u)" = 0 ]; then SUDO=""; elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else why="the user $(id -un) is not root and has no passwordless sudo"; fi',
      'if [ -z "$why" ]; then',
      `  kept=$($SUDO grep -vF ${shellQuote(tag)} "$H" || true)`,
      `  printf '%s\\n%s\\n' "$kept" ${shellQuote(tagged)} | $SUDO tee "$H" >/dev/null || why="writing /etc/hosts failed"`,
      'fi',
    );
  lines.push(
    `printf %s ${shellQuote(hosts)} > "$HOME/${GROUP_HOSTS_FILE}.tmp" && mv "$HOME/${GROUP_HOSTS_FILE}.tmp" "$HOME/${GROUP_HOSTS_FILE}" || exit 1`,
    `{ printf %s ${shellQuote(envFileContent(members))}; ${place.warnInRun ? '[ -z "$why" ] || ' : ': || '}printf 'echo %q >&2\\n' ${shellQuote(warning)}"$why"${shellQuote(advice)}; } > "$HOME/${GROUP_ENV_FILE}.tmp" && mv "$HOME/${GROUP_ENV_FILE}.tmp" "$HOME/${GROUP_ENV_FILE}" || exit 1`,
    'if [ -z "$why" ]; then echo "HOSTS written"; else echo "HOSTS skipped: $why"; fi',
  );
  return lines.join('\n');
}

/**
 * What a task's run starts with (SkyPilot's wait-for-networking prelude): wait for the
 * group's addresses, export them, go on after NETWORK_WAIT_SECONDS with a warning if they
 * never come (a task that could not launch has no address).
 */
export function runPrelude(): string {
  return [
    `__sd_env="$HOME/${GROUP_ENV_FILE}"; __sd_waited=0`,
    `while [ ! -e "$__sd_env" ] && [ "$__sd_waited" -lt ${NETWORK_WAIT_SECONDS * 10} ]; do sleep 0.1; __sd_waited=$((__sd_waited + 1)); done`,
    'if [ -e "$__sd_env" ]; then . "$__sd_env"; else echo "[SkyDeck] Warning: the job group\'s addresses did not arrive in ' +
      `${NETWORK_WAIT_SECONDS} s; SKYPILOT_JOBGROUP_HOST_* are not set" >&2; fi`,
    'unset __sd_env __sd_waited',
  ].join('\n');
}

/** The task's run behind the prelude (a task without `run` runs nothing, so it waits for nothing). */
export function withPrelude(run: string | undefined): string | undefined {
  return run === undefined || run.trim() === '' ? run : `${runPrelude()}\n${run}`;
}

/** Reads one node's answer to publishScript: undefined when /etc/hosts was written, else why not. */
export function hostsOutcome(stdout: string): string | undefined {
  const m = /^HOSTS (written|skipped: (.*))$/m.exec(stdout);
  if (!m) return 'the node gave no answer';
  return m[1] === 'written' ? undefined : m[2];
}
