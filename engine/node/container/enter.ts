/**
 * Entering a node's container without the docker daemon. `docker exec` costs a docker CLI
 * start, a daemon round trip and a `runc exec` for every agent call; a root node can instead
 * join the container's namespaces (mount + root, PID, UTS, IPC, network) with util-linux's
 * `nsenter`, through the PID docker reported at bring-up, and its cgroups, so the process is
 * inside the container in every way `docker stop`/`rm` and resource limits see.
 *
 * A PID is only trusted together with the start time it had at bring-up (field 22 of
 * /proc/PID/stat): a container restarted or removed since then, or a PID reused, no longer
 * matches, and the call falls back to `docker exec` by the container's name, which is always
 * right. Both paths run in one `bash` on the node, so either costs one process start there.
 */

/** How bring-up found the container's first process (recorded per node; no secrets). */
export interface ContainerEntry {
  /** Its PID on the node (docker's State.Pid). */
  pid: number;
  /** Its start time in clock ticks since boot, as /proc/PID/stat field 22 says. */
  start: string;
}

/**
 * The node-side script. Arguments: PID, start time, cwd, the env names the call sets
 * (space separated; their values are in this bash's env, never in argv), the container's
 * name, then the command.
 * - Stale PID: `docker exec -i -w CWD -e NAME... NAME CMD`, as the transport did before.
 * - Otherwise: join the container's cgroups (best effort: v1 hierarchies by controller name,
 *   v2 at /sys/fs/cgroup or its `unified` mount on hybrid hosts), replace this env with the
 *   container's own (its first process's environ, as `docker exec` starts from) plus the
 *   call's names, and `nsenter` with the cwd set inside the container's root.
 * Builtins only (no subshell, no pipe): on a busy node every extra process start shows in
 * the latency of each agent call.
 */
export const ENTER_SCRIPT = `pid=$1 start=$2 cwd=$3 keep=" $4 " name=$5; shift 5
f=(); { read -ra f < "/proc/$pid/stat"; } 2>/dev/null
if [ "\${f[21]:-}" != "$start" ]; then
  e=(); for n in $keep; do e+=(-e "$n"); done
  exec docker exec -i -w "$cwd" "\${e[@]}" "$name" "$@"
fi
while IFS=: read -r _ ctl p; do
  case "$ctl" in "") d=/sys/fs/cgroup; [ -d "$d/unified" ] && d="$d/unified" ;; *) d="/sys/fs/cgroup/\${ctl#name=}" ;; esac
  { echo $$ > "$d$p/cgroup.procs"; } 2>/dev/null || true
done < "/proc/$pid/cgroup"
hash nsenter 2>/dev/null; ns=\${BASH_CMDS[nsenter]:-nsenter}
mapfile -d '' -t ce < "/proc/$pid/environ"
mapfile -d '' -t own < /proc/$$/environ
for kv in "\${own[@]}" PWD= SHLVL= OLDPWD=; do v=\${kv%%=*}; case "$keep" in *" $v "*) ;; *) unset "$v" 2>/dev/null ;; esac; done
for kv in "\${ce[@]}"; do case "$keep" in *" \${kv%%=*} "*) ;; *) export "$kv" ;; esac; done
exec "$ns" -t "$pid" -m -u -i -n -p -r -W "$cwd" -- "$@"
`;

/**
 * What the bring-up script appends to find the entry: prints `PID START` when this node can
 * enter by PID (root, nsenter, bash 4.4+ for `mapfile -d`, the PID's cgroup names the
 * container, the image runs as root as nsenter would), else `docker`. Expects `$cid` (the
 * container's id) and `$pid` (its State.Pid) and `$user` (its Config.User) set.
 */
export const FIND_ENTRY_SCRIPT = `entry=docker
if [ "$(id -u)" = 0 ] && command -v nsenter >/dev/null 2>&1 && [ "\${BASH_VERSINFO[0]:-0}\${BASH_VERSINFO[1]:-0}" -ge 44 ] 2>/dev/null && { [ -z "$user" ] || [ "$user" = root ] || [ "$user" = 0 ]; } && [ "\${pid:-0}" -gt 0 ] && grep -q "$cid" "/proc/$pid/cgroup" 2>/dev/null; then
  f=(); { read -ra f < "/proc/$pid/stat"; } 2>/dev/null
  [ -n "\${f[21]:-}" ] && entry="$pid \${f[21]}"
fi`;

/** Parses FIND_ENTRY_SCRIPT's line: an entry, or undefined for `docker` (or anything else). */
export function parseEntry(line: string | undefined): ContainerEntry | undefined {
  const m = /^(\d+) (\d+)$/.exec(line?.trim() ?? '');
  return m ? { pid: Number(m[1]), start: m[2] } : undefined;
}
