#!/usr/bin/env bash
# SkyDeck on-node agent. Needs only bash (>= 4), coreutils, util-linux setsid and, for
# multi-node jobs, the ssh client. Installed by the client into ~/.skydeck_node/ (see
# engine/node/README.md for the layout and the protocol). All state lives in files, so
# the scheduler daemon can be restarted (or the agent upgraded) with the queue intact.
#
# Usage: agent.sh COMMAND [ARGS]
#   ping | version | submit [SPEC_BYTES] (spec on stdin) | queue [active] | status ID...
#   tail ID OFFSET FOLLOW(0|1) | cancel all|ID... | autostop MINUTES DOWN(0|1) [WAIT_FOR] (action on stdin)
#   idle | configure KEY=VALUE... | ensure-daemon | stop-daemon
#   internal: daemon | driver ID | rank ID RANK PHASE (payload on stdin) | kill-rank ID RANK
set -o pipefail
# Job specs and rank scripts carry the task's secrets, so everything the agent writes is
# private to the node's user (files 0600, directories 0700). The user's own umask (read once,
# by the first agent process, from /proc without a fork) is given back to the job's ranks.
if [ -z "${SKYDECK_USER_UMASK:-}" ]; then
  SKYDECK_USER_UMASK=0022
  while read -r _k _v; do [ "$_k" = Umask: ] && { SKYDECK_USER_UMASK="$_v"; break; }; done </proc/$$/status 2>/dev/null
  export SKYDECK_USER_UMASK
fi
umask 077
A="${SKYDECK_NODE_DIR:-$HOME/.skydeck_node}"
AGENT="$A/agent.sh"
JOBS="$A/jobs"
ACTIVE="$A/active"
[ -d "$ACTIVE" ] || mkdir -p "$JOBS" "$ACTIVE" "$A/tmp" 2>/dev/null
# Settings from `configure` (the node's capacity, the daemon's timing). The daemon calls this
# every tick, so a later `configure` applies without restarting it.
load_config() {
  CFG_TICK_MS="" CFG_MINUTE_MS="" CFG_NODE_CPUS_MILLI="" CFG_NODE_GPUS=""
  # shellcheck source=/dev/null # written by cmd_configure
  [ -f "$A/config" ] && . "$A/config"
  TICK_MS="${SKYDECK_AGENT_TICK_MS:-${CFG_TICK_MS:-20000}}"
  MINUTE_MS="${SKYDECK_AGENT_MINUTE_MS:-${CFG_MINUTE_MS:-60000}}"
  NODE_CPUS_MILLI="${CFG_NODE_CPUS_MILLI:-}"
  NODE_GPUS="${CFG_NODE_GPUS:-0}"
}
load_config
KILL_GRACE_MS="${SKYDECK_AGENT_KILL_GRACE_MS:-3000}"
VERSION=""
[ -f "$A/VERSION" ] && read -r VERSION <"$A/VERSION"
T=$'\t'

die() { printf 'skydeck-agent: %s\n' "$*" >&2; exit 2; }

# NOW = epoch milliseconds (no fork when bash has EPOCHREALTIME).
now() {
  local t="${EPOCHREALTIME:-}"
  if [ -n "$t" ]; then t="${t//[!0-9]/}"; NOW=$((10#$t / 1000)); else NOW=$(date +%s%3N); fi
}


# Sleep without forking: a timed read on a FIFO nobody writes to (fd 9); sleep(1) as fallback.
NAP_FD=""
nap() {
  if [ -z "$NAP_FD" ]; then
    NAP_FD=0
    [ -p "$A/nap.fifo" ] || mkfifo "$A/nap.fifo" 2>/dev/null
    if [ -p "$A/nap.fifo" ] && exec 9<>"$A/nap.fifo"; then NAP_FD=9; fi
  fi
  if [ "$NAP_FD" = 9 ]; then read -r -t "$1" -u 9 _ || true; else sleep "$1"; fi
}

# Small-file write without a fork (one write(2)); readers re-read an empty file once.
put() { printf '%s\n' "$2" >"$1"; }

# PROC_START = start time (clock ticks since boot) of a live, non-zombie process.
proc_start() {
  local s
  read -r s 2>/dev/null <"/proc/$1/stat" || return 1
  s="${s##*) }"
  # shellcheck disable=SC2206 # the stat fields after the command name split on spaces
  local -a f=($s)
  [ "${f[0]}" = Z ] && return 1
  PROC_START="${f[19]}"
}

# alive PIDFILE: the recorded "pid starttime" still names the same live process.
alive() {
  local pid st
  [ -f "$1" ] || return 1
  read -r pid st 2>/dev/null <"$1" || return 1
  [ -n "$pid" ] || return 1
  proc_start "$pid" || return 1
  [ "$PROC_START" = "$st" ]
}

record_pid() { proc_start "$2" && put "$1" "$2 $PROC_START"; }

# Live (non-zombie) processes of a process group.
group_alive() {
  local f s
  for f in /proc/[0-9]*/stat; do
    read -r s 2>/dev/null <"$f" || continue
    s="${s##*) }"
    # shellcheck disable=SC2206 # the stat fields after the command name split on spaces
    local -a a=($s)
    [ "${a[2]}" = "$1" ] && [ "${a[0]}" != Z ] && return 0
  done
  return 1
}

# TERM the group, KILL what is left after the grace period.
kill_group() {
  local pg="$1" waited=0
  [ -n "$pg" ] && [ "$pg" -gt 1 ] 2>/dev/null || return 0
  kill -TERM -- "-$pg" 2>/dev/null || return 0
  while group_alive "$pg" && [ "$waited" -lt "$KILL_GRACE_MS" ]; do
    nap 0.05
    waited=$((waited + 50))
  done
  kill -KILL -- "-$pg" 2>/dev/null
  return 0
}

# ---- lock: O_EXCL create (noclobber) holding "pid starttime" of the owner; the lock of a dead
# owner (killed while holding it) is broken. Breaking is racy only between two breakers of
# the same stale lock, which needs a SIGKILL inside a few-ms critical section first.
lock() {
  local owner owner_st n=0 empty=0 me
  proc_start "$BASHPID"
  me="$BASHPID $PROC_START"
  set -C
  until { printf '%s\n' "$me" >"$A/lock"; } 2>/dev/null; do
    owner=""
    owner_st=""
    read -r owner owner_st 2>/dev/null <"$A/lock"
    [ "$owner" = "$BASHPID" ] && break # handed over to us
    # An empty lock file: its creator died between creating and writing it (a rank killed by
    # cancel). A live creator writes at once, so 5 s of emptiness means nobody ever will.
    if [ -z "$owner" ] && [ -f "$A/lock" ]; then
      empty=$((empty + 1))
      if [ "$empty" -gt 500 ]; then
        rm -f "$A/lock"
        empty=0
        continue
      fi
    else
      empty=0
    fi
    if [ -n "$owner" ] && { ! proc_start "$owner" || { [ -n "$owner_st" ] && [ "$PROC_START" != "$owner_st" ]; }; }; then
      rm -f "$A/lock"
      continue
    fi
    [ -f "$AGENT" ] || die "the agent was removed from $A"
    n=$((n + 1))
    [ "$n" -gt 6000 ] && die "lock $A/lock held for over 60 s by pid ${owner:-?}"
    nap 0.01
  done
  set +C
}
# A driver started under the lock can take the lock over and remove it itself, which saves
# the submit hot path a fork (HANDOVER = that driver's pid).
HANDOVER=""
unlock() {
  if [ -n "$HANDOVER" ] && proc_start "$HANDOVER"; then
    printf '%s %s\n' "$HANDOVER" "$PROC_START" >"$A/lock"
    HANDOVER=""
  else
    rm -f "$A/lock"
  fi
}

# ---- job files ----
# status: "STATUS<TAB>started_ms<TAB>ended_ms<TAB>exit_code" ('-' when unset)
read_status() {
  ST=""; ST_STARTED=-; ST_ENDED=-; ST_EXIT=-
  IFS="$T" read -r ST ST_STARTED ST_ENDED ST_EXIT 2>/dev/null <"$JOBS/$1.status"
  # Caught between truncate and write: read again.
  [ -n "$ST" ] || IFS="$T" read -r ST ST_STARTED ST_ENDED ST_EXIT 2>/dev/null <"$JOBS/$1.status"
  [ -n "$ST" ] || [ ! -f "$JOBS/$1.status" ] || ST=INIT
}
write_status() { put "$JOBS/$1.status" "$2$T${3:--}$T${4:--}$T${5:--}"; }
# META_*: the job's immutable facts (jobs/ID.meta).
read_meta() {
  IFS="$T" read -r META_SUBMITTED META_USER META_NAME META_RES META_CPU META_GPU META_NN META_SETUP META_TASK_ID <"$JOBS/$1.meta"
}
is_terminal() { case "$1" in SUCCEEDED | FAILED | FAILED_SETUP | FAILED_DRIVER | CANCELLED) return 0 ;; esac; return 1; }
# active/<zero-padded id>: one empty file per unfinished job (globs list them in FIFO order).
set_active() { local n; printf -v n '%010d' "$1"; : >"$ACTIVE/$n"; }
clear_active() { local n; printf -v n '%010d' "$1"; rm -f "$ACTIVE/$n"; }
touch_activity() {
  now
  put "$A/last_active_ms" "$NOW"
  # New activity re-arms autostop, except the autostop action's own (it cancels the jobs).
  [ -z "${SKYDECK_AUTOSTOP_DOWN:-}" ] && [ -f "$A/autostop_fired" ] && rm -f "$A/autostop_fired"
  return 0
}

# An ended job's spec (its envs and secrets, its scripts) is removed; meta, status and logs stay.
drop_spec() { rm -f "$JOBS/$1.spec"; }

# Ends a job (caller holds the lock) unless it already ended (e.g. CANCELLED).
finalize() {
  local id="$1" st="$2" code="$3"
  read_status "$id"
  is_terminal "$ST" && return 0
  now
  write_status "$id" "$st" "$ST_STARTED" "$NOW" "$code"
  clear_active "$id"
  touch_activity
}

# ---- scheduler (caller holds the lock) ----
# SkyPilot's FIFO: the oldest PENDING job starts when its per-node demand (CPUs and GPUs) fits
# next to the running jobs on each of its nodes; later jobs wait behind it. Each started job
# gets GPU indices of its own on each node (jobs/ID.gpus, one line per rank: "0,1" or empty),
# which its ranks see as CUDA_VISIBLE_DEVICES. A job that can never fit (the capacity shrank
# after it was accepted) runs alone rather than block the queue forever.
node_cpus_milli() {
  CAP_CPU="$NODE_CPUS_MILLI"
  if [ -z "$CAP_CPU" ]; then
    [ -f "$A/nproc" ] || put "$A/nproc" "$(nproc 2>/dev/null || echo 1)"
    read -r CAP_CPU <"$A/nproc"
    CAP_CPU=$((CAP_CPU * 1000))
  fi
}

schedule() {
  local f id r running=0 fits g line want picked
  local -a ucpu=() used=() free=()
  node_cpus_milli
  for f in "$ACTIVE"/*; do
    [ -e "$f" ] || continue
    id=$((10#${f##*/}))
    read_status "$id"
    case "$ST" in
      RUNNING | SETTING_UP)
        read_meta "$id"
        r=0
        # used[r]: ",i,j," = the GPU indices held on rank r's node.
        if [ -f "$JOBS/$id.gpus" ]; then
          while IFS= read -r line; do
            [ -n "$line" ] && used[r]="${used[r]:-,}$line,"
            r=$((r + 1))
          done <"$JOBS/$id.gpus"
        fi
        for ((r = 0; r < META_NN; r++)); do ucpu[r]=$((${ucpu[r]:-0} + META_CPU)); done
        running=1
        ;;
    esac
  done
  for f in "$ACTIVE"/*; do
    [ -e "$f" ] || continue
    id=$((10#${f##*/}))
    read_status "$id"
    [ "$ST" = PENDING ] || continue
    read_meta "$id"
    fits=1
    for ((r = 0; r < META_NN; r++)); do
      # free[r]: the first META_GPU indices not in use on rank r's node.
      picked=""
      want="$META_GPU"
      for ((g = 0; g < NODE_GPUS && want > 0; g++)); do
        [[ "${used[r]:-,}" == *",$g,"* ]] && continue
        picked="$picked${picked:+,}$g"
        want=$((want - 1))
      done
      free[r]="$picked"
      if [ "$want" -gt 0 ] || [ $((${ucpu[r]:-0} + META_CPU)) -gt "$CAP_CPU" ]; then fits=0; fi
    done
    if [ "$fits" = 0 ]; then
      [ "$running" = 1 ] && break
      # Alone on the cluster and still too big: it gets the first indices it asked for.
      for ((r = 0; r < META_NN; r++)); do
        picked=""
        for ((g = 0; g < META_GPU; g++)); do picked="$picked${picked:+,}$g"; done
        free[r]="$picked"
      done
    fi
    : >"$JOBS/$id.gpus"
    for ((r = 0; r < META_NN; r++)); do
      printf '%s\n' "${free[r]}" >>"$JOBS/$id.gpus"
      [ -n "${free[r]}" ] && used[r]="${used[r]:-,}${free[r]},"
      ucpu[r]=$((${ucpu[r]:-0} + META_CPU))
    done
    start_job "$id" "$META_SETUP"
    running=1
  done
}

start_job() {
  local id="$1" setup="$2" st=RUNNING
  [ "$setup" = 1 ] && st=SETTING_UP
  now
  write_status "$id" "$st" "$NOW"
  setsid bash "$AGENT" driver "$id" </dev/null >>"$JOBS/$id.driver.log" 2>&1 9<&- &
  record_pid "$JOBS/$id.driver" "$!"
  HANDOVER="$!"
}

# Jobs whose driver died without finishing become FAILED_DRIVER (caller holds the lock).
reap() {
  local f id
  for f in "$ACTIVE"/*; do
    [ -e "$f" ] || continue
    id=$((10#${f##*/}))
    read_status "$id"
    case "$ST" in
      RUNNING | SETTING_UP) alive "$JOBS/$id.driver" || { drop_spec "$id"; finalize "$id" FAILED_DRIVER -; } ;;
    esac
  done
}

has_active() { local f; for f in "$ACTIVE"/*; do [ -e "$f" ] && return 0; done; return 1; }

# ---- daemon ----
ensure_daemon() { # caller holds the lock
  alive "$A/daemon.pid" && return 0
  setsid bash "$AGENT" daemon </dev/null >>"$A/daemon.log" 2>&1 9<&- &
  record_pid "$A/daemon.pid" "$!"
}

cmd_daemon() {
  local my_version="$VERSION" tick
  trap 'exit 0' TERM INT
  while :; do
    # A newer agent was installed: continue as the new code (same pid, so daemon.pid stays valid).
    local v=""
    [ -f "$A/VERSION" ] && read -r v <"$A/VERSION"
    [ -n "$v" ] && [ "$v" != "$my_version" ] && exec bash "$AGENT" daemon
    [ -f "$AGENT" ] || exit 0 # the node was removed (local cluster down)
    lock
    # Another daemon took over (daemon.pid is written under the lock by its starter): stop.
    local dpid=""
    read -r dpid _ 2>/dev/null <"$A/daemon.pid"
    if [ "$dpid" != "$BASHPID" ]; then unlock; exit 0; fi
    load_config
    reap
    schedule
    [ -f "$A/last_active_ms" ] || touch_activity
    unlock
    autostop_check
    printf -v tick '%d.%03d' $((TICK_MS / 1000)) $((TICK_MS % 1000))
    nap "$tick"
  done
}

# ---- autostop ----
# SkyPilot's idleness rules (skylet StopEvent): the idle timer restarts when autostop is set,
# when a job is submitted and, by WAIT_FOR, while jobs are pending/running (jobs,
# jobs_and_ssh) or an SSH session is open (jobs_and_ssh); `none` is a hard deadline since
# then. Once idle >= MINUTES the agent records it (autostop_fired) and runs the action the
# client left (autostop_hook): it stops or tears down the cluster from here.
# The autostop file: "MINUTES DOWN(0|1) SET_MS WAIT_FOR".
read_autostop() {
  AS_MINUTES=-1 AS_DOWN=0 AS_SET=- AS_WAIT=jobs_and_ssh
  # shellcheck disable=SC2034 # AS_SET: when it was set (kept in the file for the record)
  [ -f "$A/autostop" ] && read -r AS_MINUTES AS_DOWN AS_SET AS_WAIT <"$A/autostop"
  case "$AS_WAIT" in jobs | none) ;; *) AS_WAIT=jobs_and_ssh ;; esac
  [[ "$AS_MINUTES" =~ ^-?[0-9]+$ ]] || AS_MINUTES=-1
}

# Whether someone is logged in to this node over SSH: a process whose parent is an sshd
# session (an interactive shell with or without a PTY, `ssh node cmd`, the shell a
# Remote-SSH window keeps open), in this node's network and mount namespaces (containers
# and other "hosts" sharing the kernel are not us). SkyDeck's own agent calls are not
# activity. SkyPilot counts PTYs under sshd; this also counts sessions without a PTY.
ssh_session_active() {
  local f s pid ppid rest
  local -A comm_of=() ppid_of=()
  for f in /proc/[0-9]*/stat; do
    read -r s 2>/dev/null <"$f" || continue
    pid="${f#/proc/}"
    pid="${pid%/stat}"
    rest="${s%) *}"
    comm_of[$pid]="${rest#*(}"
    rest="${s##*) }"
    rest="${rest#* }"
    ppid_of[$pid]="${rest%% *}"
  done
  local -a args
  for pid in "${!ppid_of[@]}"; do
    case "${comm_of[$pid]}" in sshd*) continue ;; esac
    ppid="${ppid_of[$pid]}"
    case "${comm_of[$ppid]:-}" in sshd | sshd-session) ;; *) continue ;; esac
    [[ /proc/$pid/ns/net -ef /proc/$$/ns/net && /proc/$pid/ns/mnt -ef /proc/$$/ns/mnt ]] || continue
    args=()
    mapfile -d '' -t args 2>/dev/null </proc/"$pid"/cmdline
    [[ "${args[*]}" == *".skydeck_node/agent.sh"* ]] && continue
    return 0
  done
  return 1
}

autostop_check() {
  local last=0
  read_autostop
  # Jobs keep the timer fresh (for `idle`) unless the deadline ignores them.
  if [ "$AS_WAIT" != none ] && has_active; then touch_activity; return 0; fi
  [ "$AS_MINUTES" -ge 0 ] || return 0
  [ -f "$A/autostop_fired" ] && return 0
  # A `local` node has no SSH server of its own: the machine's sessions are not its activity.
  if [ "$AS_WAIT" = jobs_and_ssh ] && [ -z "${SKYDECK_LOCAL_NODE:-}" ] && ssh_session_active; then touch_activity; return 0; fi
  [ -f "$A/last_active_ms" ] && read -r last <"$A/last_active_ms"
  now
  [ $((NOW - last)) -ge $((AS_MINUTES * MINUTE_MS)) ] || return 0
  put "$A/autostop_fired" "$NOW $AS_DOWN"
  printf '%s autostop fired: idle %s ms >= %s minute(s), down=%s, wait_for=%s\n' "$NOW" $((NOW - last)) "$AS_MINUTES" "$AS_DOWN" "$AS_WAIT" >>"$A/autostop.log"
  if [ -s "$A/autostop_hook" ]; then
    SKYDECK_AUTOSTOP_DOWN="$AS_DOWN" SKYDECK_AUTOSTOP_FIRED="$NOW" setsid bash "$A/autostop_hook" </dev/null >>"$A/autostop_hook.log" 2>&1 9<&- &
  fi
}

cmd_autostop() {
  local minutes="$1" down="${2:-0}" wait_for="${3:-jobs_and_ssh}"
  [[ "$minutes" =~ ^-?[0-9]+$ ]] || die "autostop: minutes must be an integer"
  case "$down" in 0 | 1) ;; *) die "autostop: DOWN must be 0 or 1" ;; esac
  case "$wait_for" in jobs_and_ssh | jobs | none) ;; *) die "autostop: WAIT_FOR must be jobs_and_ssh, jobs or none, not '$wait_for'" ;; esac
  local hook
  hook="$(cat)"
  lock
  if [ -n "$hook" ]; then put "$A/autostop_hook" "$hook"; elif [ "$minutes" -lt 0 ]; then rm -f "$A/autostop_hook"; fi
  now
  put "$A/autostop" "$minutes $down $NOW $wait_for"
  touch_activity
  ensure_daemon
  unlock
  echo ok
}

# idle_ms active minutes down fired_ms wait_for
cmd_idle() {
  local last active=0 fired=- f
  read_autostop
  for f in "$ACTIVE"/*; do [ -e "$f" ] && active=$((active + 1)); done
  now
  last="$NOW"
  [ -f "$A/last_active_ms" ] && read -r last <"$A/last_active_ms"
  [ -f "$A/autostop_fired" ] && read -r fired _ <"$A/autostop_fired"
  local idle=$((NOW - last))
  [ "$active" -gt 0 ] && [ "$AS_WAIT" != none ] && idle=0
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$idle" "$active" "$AS_MINUTES" "$AS_DOWN" "$fired" "$AS_WAIT"
}

# ---- submit / queue / status ----
cmd_submit() {
  # Hot path (exec-to-running latency): builtins only, except setsid and the lock's rm.
  local spec="" size="${1:-0}"
  if [ "$size" -gt 16384 ] 2>/dev/null; then
    # bash reads a pipe byte by byte but a regular file in blocks: big specs go through a file.
    local tmp="$A/tmp/spec.$BASHPID"
    cat >"$tmp"
    IFS= read -r -d '' spec <"$tmp"
    rm -f "$tmp"
  else
    IFS= read -r -d '' spec
  fi
  local JOB_NAME="" JOB_USER="" JOB_RESOURCES="" JOB_CPUS_MILLI=500 JOB_GPUS=0 JOB_GPUS_DEMAND="" JOB_SETUP="" JOB_CLUSTER="" JOB_TASK_ID=""
  local -a JOB_NODE_IPS=()
  eval "$spec" || die "submit: the job spec is not valid bash"
  local nn="${#JOB_NODE_IPS[@]}"
  [ "$nn" -ge 1 ] || die "submit: JOB_NODE_IPS is empty"
  local gpus="${JOB_GPUS_DEMAND:-$JOB_GPUS}"
  [[ "$gpus" =~ ^[0-9]+$ ]] || die "submit: JOB_GPUS_DEMAND must be a non-negative integer, got '$gpus'"
  [[ "$JOB_CPUS_MILLI" =~ ^[0-9]+$ ]] || die "submit: JOB_CPUS_MILLI must be a non-negative integer, got '$JOB_CPUS_MILLI'"
  # A job that can never fit is refused now rather than queued forever (exit 4: the client's cue).
  if [ "$gpus" -gt "$NODE_GPUS" ]; then
    printf 'skydeck-agent: the job asks for %s GPU(s) per node, but each node of this cluster has %s.\n' "$gpus" "$NODE_GPUS" >&2
    exit 4
  fi
  node_cpus_milli
  if [ "$JOB_CPUS_MILLI" -gt "$CAP_CPU" ]; then
    printf 'skydeck-agent: the job asks for %d.%03d CPU(s) per node, but each node of this cluster has %d.%03d.\n' $((JOB_CPUS_MILLI / 1000)) $((JOB_CPUS_MILLI % 1000)) $((CAP_CPU / 1000)) $((CAP_CPU % 1000)) >&2
    exit 4
  fi
  local has_setup=0
  [ -n "$JOB_SETUP" ] && has_setup=1
  local clean_name="${JOB_NAME//[$'\t\n']/ }" clean_res="${JOB_RESOURCES//[$'\t\n']/ }" clean_user="${JOB_USER//[$'\t\n']/ }"
  lock
  local id=1
  [ -f "$A/next_id" ] && read -r id <"$A/next_id"
  put "$A/next_id" $((id + 1))
  now
  if [ -z "$JOB_TASK_ID" ]; then
    local ts us
    TZ=UTC printf -v ts '%(%Y-%m-%d-%H-%M-%S)T' "$((NOW / 1000))"
    printf -v us '%06d' $(((NOW % 1000) * 1000))
    JOB_TASK_ID="sky-$ts-${us}_${JOB_CLUSTER:-cluster}_$id"
  fi
  printf '%s\n' "$spec" >"$JOBS/$id.spec"
  put "$JOBS/$id.meta" "$NOW$T${clean_user:--}$T${clean_name:--}$T${clean_res:--}$T$JOB_CPUS_MILLI$T$gpus$T$nn$T$has_setup$T$JOB_TASK_ID"
  write_status "$id" PENDING
  set_active "$id"
  touch_activity
  schedule
  ensure_daemon
  unlock
  echo "$id"
}

# One TSV line per job: id status submitted started ended exit user name resources logdir
print_job() {
  local id="$1"
  [ -f "$JOBS/$id.meta" ] || return 0
  read_meta "$id"
  read_status "$id"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$ST" "$META_SUBMITTED" "$ST_STARTED" "$ST_ENDED" "$ST_EXIT" "$META_USER" "$META_NAME" "$META_RES" "$JOBS/$id"
}

# Reaps only when some started job's driver is gone (no lock, no fork otherwise).
reap_if_active() {
  local f id
  for f in "$ACTIVE"/*; do
    [ -e "$f" ] || continue
    id=$((10#${f##*/}))
    read_status "$id"
    case "$ST" in
      RUNNING | SETTING_UP) alive "$JOBS/$id.driver" || { lock; reap; unlock; return 0; } ;;
    esac
  done
}

cmd_queue() {
  reap_if_active
  local f id
  if [ "${1:-}" = active ]; then
    for f in "$ACTIVE"/*; do [ -e "$f" ] && print_job $((10#${f##*/})); done
    return 0
  fi
  local next=1
  [ -f "$A/next_id" ] && read -r next <"$A/next_id"
  for ((id = 1; id < next; id++)); do [ -f "$JOBS/$id.meta" ] && print_job "$id"; done
  return 0
}

cmd_status() {
  reap_if_active
  local id
  for id in "$@"; do
    if [ -f "$JOBS/$id.meta" ]; then print_job "$id"; else printf '%s\tNOT_FOUND\n' "$id"; fi
  done
}

# Streams run.log from byte OFFSET; with FOLLOW=1 until the job ends. Ends with
# "status=<STATUS> exit=<code> size=<bytes>" on stderr. Reads through one open fd with
# builtins (no fork per poll); NUL bytes in logs are dropped.
cmd_tail() {
  local id="$1" off="${2:-0}" follow="${3:-0}" final chunk open=0 skip beat=0 quiet=0 last_off=-1
  local J="$JOBS/$id" LC_ALL=C
  [ -f "$J.meta" ] || { printf 'status=NOT_FOUND exit=- size=0\n' >&2; exit 3; }
  while :; do
    read_status "$id"
    final=1
    if [ "$follow" = 1 ] && ! is_terminal "$ST"; then
      final=0
      case "$ST" in RUNNING | SETTING_UP) alive "$J.driver" || { lock; reap; unlock; read_status "$id"; is_terminal "$ST" && final=1; } ;; esac
    fi
    if [ "$open" = 0 ] && [ -f "$J/run.log" ] && exec 3<"$J/run.log"; then
      open=1
      skip="$off"
      while [ "$skip" -gt 0 ]; do
        local n=$((skip > 1048576 ? 1048576 : skip))
        read -r -N "$n" -u 3 chunk || { skip=0; break; }
        skip=$((skip - n))
      done
    fi
    if [ "$open" = 1 ]; then
      while IFS= read -r -N 65536 -u 3 chunk; do
        printf '%s' "$chunk"
        off=$((off + ${#chunk}))
      done
      if [ -n "$chunk" ]; then
        printf '%s' "$chunk"
        off=$((off + ${#chunk}))
      fi
    fi
    [ "$final" = 1 ] && break
    # Poll fast while output flows or the job just started, slower when it is quiet.
    if [ "$off" != "$last_off" ]; then quiet=0; else quiet=$((quiet + 1)); fi
    last_off="$off"
    if [ "$quiet" -lt 40 ]; then nap 0.05; else nap 0.25; fi
    # Heartbeat on stderr: once the client is gone (aborted follow, lost connection) the
    # write fails (SIGPIPE/EPIPE) and this loop ends instead of polling until the job ends.
    now
    if [ $((NOW - beat)) -ge 1000 ]; then
      beat="$NOW"
      printf '.' >&2 || exit 0
    fi
  done
  printf 'status=%s exit=%s size=%s\n' "$ST" "$ST_EXIT" "$off" >&2
}

# ---- cancel ----
cmd_cancel() {
  local -a targets=() to_kill=() done_ids=() never_started=()
  local f id
  lock
  if [ "${1:-}" = all ]; then
    for f in "$ACTIVE"/*; do [ -e "$f" ] && targets+=($((10#${f##*/}))); done
  else
    targets=("$@")
  fi
  for id in "${targets[@]}"; do
    [[ "$id" =~ ^[0-9]+$ ]] || continue
    read_status "$id"
    [ -n "$ST" ] || continue
    is_terminal "$ST" && continue
    now
    write_status "$id" CANCELLED "$ST_STARTED" "$NOW" -
    clear_active "$id"
    done_ids+=("$id")
    # A started job's spec is still needed to reach its ranks: kill_job drops it after.
    case "$ST" in RUNNING | SETTING_UP) to_kill+=("$id") ;; *) never_started+=("$JOBS/$id.spec") ;; esac
  done
  touch_activity
  unlock
  [ "${#never_started[@]}" -gt 0 ] && rm -f "${never_started[@]}"
  for id in "${to_kill[@]}"; do kill_job "$id" & done
  wait
  lock
  schedule
  unlock
  [ "${#done_ids[@]}" -gt 0 ] && printf '%s\n' "${done_ids[@]}"
  return 0
}

# Kills a job's rank process groups on every node (through the launchers), then its driver.
kill_job() {
  local id="$1" J="$JOBS/$1" r
  (
    # shellcheck source=/dev/null # the job spec, written by the engine
    . "$J.spec"
    for ((r = 0; r < ${#JOB_NODE_IPS[@]}; r++)); do
      load_launcher "$r"
      timeout 20 "${L[@]}" "bash \"\$HOME/.skydeck_node/agent.sh\" kill-rank $id $r" </dev/null >/dev/null 2>&1 &
    done
    wait
  )
  local pid st
  if alive "$J.driver"; then
    read -r pid st <"$J.driver"
    kill_group "$pid"
  fi
  # A killed driver never reached its own clean-up.
  rm -f "$J"/*.payload
  drop_spec "$id"
}

cmd_kill_rank() {
  local id="$1" r="$2" pg=""
  local J="$JOBS/$id"
  mkdir -p "$J"
  : >"$J/killed-$r"
  [ -f "$J/rank-$r.pgid" ] && read -r pg <"$J/rank-$r.pgid"
  kill_group "$pg"
  # The rank's script (its secrets): its runner may be killed with the driver before removing it.
  rm -f "$J"/*-"$r".sh
}

# ---- driver (runs detached on the head, one per job) ----
cmd_driver() {
  local id="$1"
  local J="$JOBS/$id"
  local JOB_NAME="" JOB_USER="" JOB_SETUP="" JOB_RUN="" JOB_WORKDIR="" JOB_CLUSTER_INFO="{}" JOB_GPUS=0
  local -a JOB_NODE_IPS=() JOB_ENV=()
  # shellcheck source=/dev/null # the job spec, written by the engine
  . "$J.spec"
  if [ "${#JOB_NODE_IPS[@]}" -gt 1 ]; then mkdir -p "$J/tasks"; else mkdir -p "$J"; fi
  read_meta "$id"
  local task_id="$META_TASK_ID" rc phase=run
  [ -n "$JOB_SETUP" ] && phase=setup
  start_phase "$phase"
  # The starter may have handed us the lock (saves it a fork): take it and drop it, now
  # that the ranks are on their way.
  lock
  unlock
  if [ "$phase" = setup ]; then
    wait_phase setup
    rc=$?
    if [ "$rc" != 0 ]; then
      lock; drop_spec_unless_cancelled "$id"; finalize "$id" FAILED_SETUP "$rc"; schedule; unlock
      return 0
    fi
    lock
    read_status "$id"
    if is_terminal "$ST"; then unlock; return 0; fi
    write_status "$id" RUNNING "$ST_STARTED"
    unlock
    start_phase run
  fi
  wait_phase run
  rc=$?
  local st=SUCCEEDED
  [ "$rc" != 0 ] && st=FAILED
  lock; drop_spec_unless_cancelled "$id"; finalize "$id" "$st" "$rc"; schedule; unlock
}

# The driver's job is ending (caller holds the lock; dropped before the status says so, so
# whoever sees the end sees no spec): drop its spec, unless a cancel is under way (its
# kill_job still reads the spec to reach the ranks, and drops it when done).
drop_spec_unless_cancelled() {
  read_status "$1"
  [ "$ST" = CANCELLED ] || drop_spec "$1"
}

# Writes each rank's script (env + phase script) and starts it on its node through the
# node's launcher (the head's own rank, launcher `bash -c`, runs without one).
start_phase() {
  local phase="$1" n="${#JOB_NODE_IPS[@]}" r ips kv
  local -a gpu_ids=()
  [ -f "$J.gpus" ] && mapfile -t gpu_ids <"$J.gpus"
  printf -v ips '%s\n' "${JOB_NODE_IPS[@]}"
  ips="${ips%$'\n'}"
  for ((r = 0; r < n; r++)); do
    local payload="$J/$phase-$r.payload"
    {
      echo '# generated by skydeck-agent'
      for kv in "${JOB_ENV[@]}"; do printf 'export %q\n' "$kv"; done
      printf 'export SKYPILOT_NUM_NODES=%q SKYPILOT_TASK_ID=%q SKYPILOT_CLUSTER_INFO=%q SKYPILOT_USER=%q\n' "$n" "$task_id" "$JOB_CLUSTER_INFO" "$JOB_USER"
      if [ "$phase" = setup ]; then
        printf 'export SKYPILOT_SETUP_NODE_RANK=%q SKYPILOT_SETUP_NODE_IPS=%q SKYPILOT_SETUP_NUM_GPUS_PER_NODE=%q\n' "$r" "$ips" "$JOB_GPUS"
        echo 'unset CUDA_VISIBLE_DEVICES'
      else
        printf 'export SKYPILOT_NODE_RANK=%q SKYPILOT_NODE_IPS=%q SKYPILOT_NUM_GPUS_PER_NODE=%q SKYPILOT_INTERNAL_JOB_ID=%q\n' "$r" "$ips" "$JOB_GPUS" "$id"
        # The GPUs the scheduler gave this job on this rank's node; a job without GPUs sees none
        # of ours set (and no value inherited from the agent's environment).
        if [ -n "${gpu_ids[r]:-}" ]; then printf 'export CUDA_VISIBLE_DEVICES=%q\n' "${gpu_ids[r]}"; else echo 'unset CUDA_VISIBLE_DEVICES'; fi
      fi
      if [ -n "$JOB_WORKDIR" ]; then
        # shellcheck disable=SC2016 # this prints shell for the rank to run: $HOME expands there
        printf 'cd %q 2>/dev/null || cd "$HOME/"%q 2>/dev/null || cd "$HOME"\n' "$JOB_WORKDIR" "$JOB_WORKDIR"
      else
        # shellcheck disable=SC2016 # as above
        echo 'cd "$HOME"'
      fi
      if [ "$phase" = setup ]; then printf '%s\n' "$JOB_SETUP"; else printf '%s\n' "$JOB_RUN"; fi
    } >"$payload"
    load_launcher "$r"
    local -a run_cmd
    if [ "${#L[@]}" = 2 ] && [ "${L[0]}" = bash ] && [ "${L[1]}" = -c ]; then
      run_cmd=(rank_exec "$id" "$r" "$payload")
    else
      run_cmd=("${L[@]}" "bash \"\$HOME/.skydeck_node/agent.sh\" rank $id $r $phase")
    fi
    if [ "$n" = 1 ]; then
      { "${run_cmd[@]}" <"$payload"; echo $? >"$J/$phase-$r.exit"; } >>"$J/run.log" 2>&1 9<&- &
    else
      local label="worker$r"
      [ "$r" = 0 ] && label="head"
      local prefix="($label, rank=$r, ip=${JOB_NODE_IPS[r]}) "
      { "${run_cmd[@]}" <"$payload" 2>&1; echo $? >"$J/$phase-$r.exit"; } 9<&- |
        tee -a "$J/tasks/$r-$label.log" | prefix_lines "$prefix" >>"$J/run.log" &
    fi
  done
}

# Waits for every rank of the phase; returns the first non-zero exit code in rank order.
wait_phase() {
  local phase="$1" n="${#JOB_NODE_IPS[@]}" r code rc=0
  wait
  # The rank scripts (the task's envs and secrets) are no longer needed once every rank ended.
  rm -f "$J/$phase-"*.payload
  for ((r = 0; r < n; r++)); do
    code=255
    [ -f "$J/$phase-$r.exit" ] && read -r code <"$J/$phase-$r.exit"
    if [ "$code" != 0 ] && [ "$rc" = 0 ]; then rc="$code"; fi
  done
  return "$rc"
}

# L = rank R's launcher argv from the sourced spec; a leading ~/ means this node's HOME.
load_launcher() {
  local i
  L=()
  eval "L=(\"\${JOB_LAUNCHER_$1[@]}\")"
  [ "${#L[@]}" -gt 0 ] || L=(bash -c)
  # shellcheck disable=SC2088 # matches a literal ~/ prefix to expand it
  for i in "${!L[@]}"; do [[ "${L[i]}" == "~/"* ]] && L[i]="$HOME/${L[i]#\~/}"; done
}

prefix_lines() {
  if command -v sed >/dev/null 2>&1; then
    local p="${1//\\/\\\\}"
    p="${p//&/\\&}"
    p="${p//|/\\|}"
    sed -u "s|^|$p|"
  else
    local line
    while IFS= read -r line || [ -n "$line" ]; do printf '%s%s\n' "$1" "$line"; done
  fi
}

# Runs one rank's script on this node in its own process group (so cancel can kill the
# whole tree), recording the group id; exits with the script's exit code.
cmd_rank() {
  local id="$1" r="$2" phase="$3"
  local J="$JOBS/$id"
  [ -d "$J" ] || mkdir -p "$J"
  local script="$J/$phase-$r.sh"
  cat >"$script"
  rank_exec "$id" "$r" "$script"
}

# Runs a rank's script in its own session/process group (so cancel can kill the whole
# tree), recording the group id; returns the script's exit code.
rank_exec() {
  local id="$1" r="$2" script="$3"
  local J="$JOBS/$id"
  [ -f "$J/killed-$r" ] && { rm -f "$script"; return 143; }
  # The rank runs with the user's umask and without our variable (the agent's own is 077).
  { umask "$SKYDECK_USER_UMASK"; unset SKYDECK_USER_UMASK; exec setsid bash "$script" </dev/null 9<&-; } &
  local pid=$! rc
  echo "$pid" >"$J/rank-$r.pgid"
  # Cancelled between our check and the pgid being written: stop now.
  [ -f "$J/killed-$r" ] && kill_group "$pid"
  wait "$pid"
  rc=$?
  rm -f "$script"
  return "$rc"
}

cmd_ping() {
  local d=dead active=0 f
  alive "$A/daemon.pid" && d=alive
  for f in "$ACTIVE"/*; do [ -e "$f" ] && active=$((active + 1)); done
  now
  printf 'ok\t%s\t%s\t%s\t%s\n' "${VERSION:-unknown}" "$d" "$active" "$NOW"
}

cmd_configure() {
  local kv k v
  touch "$A/config"
  for kv in "$@"; do
    k="${kv%%=*}"
    v="${kv#*=}"
    case "$k" in NODE_CPUS_MILLI | NODE_GPUS | TICK_MS | MINUTE_MS) ;; *) die "configure: unknown key $k" ;; esac
    [[ "$v" =~ ^[0-9]+$ ]] || die "configure: $k must be a non-negative integer"
    {
      local line
      while IFS= read -r line; do [[ "$line" == "CFG_$k="* ]] || printf '%s\n' "$line"; done <"$A/config"
      echo "CFG_$k=$v"
    } >"$A/config.tmp.$BASHPID"
    mv -f "$A/config.tmp.$BASHPID" "$A/config"
  done
  echo ok
}

# From the autostop action (SKYDECK_AUTOSTOP_FIRED set), the daemon is stopped only while that
# firing still stands: activity or a new autostop since then (which re-arm it and may have
# started a daemon) win, and the action learns it from exit 75. Checked under the lock, as
# `autostop` re-arms under it.
cmd_stop_daemon() {
  local pid st fired=""
  if [ -n "${SKYDECK_AUTOSTOP_FIRED:-}" ]; then
    lock
    [ -f "$A/autostop_fired" ] && read -r fired _ <"$A/autostop_fired"
    if [ "$fired" != "$SKYDECK_AUTOSTOP_FIRED" ]; then
      unlock
      echo superseded
      exit 75
    fi
  fi
  if alive "$A/daemon.pid"; then
    read -r pid st <"$A/daemon.pid"
    kill -TERM "$pid" 2>/dev/null
  fi
  [ -n "${SKYDECK_AUTOSTOP_FIRED:-}" ] && unlock
  echo ok
}

# The client passes the version it expects; 91 tells it to (re)install first.
if [ "${1:-}" = --expect ]; then
  [ "$2" = "$VERSION" ] || { echo "skydeck-agent: installed version '${VERSION:-none}' != expected '$2'" >&2; exit 91; }
  shift 2
fi
cmd="${1:-}"
shift || true
case "$cmd" in
  ping) cmd_ping ;;
  version) echo "${VERSION:-unknown}" ;;
  submit) cmd_submit "$@" ;;
  queue) cmd_queue "$@" ;;
  status) cmd_status "$@" ;;
  tail) cmd_tail "$@" ;;
  cancel) cmd_cancel "$@" ;;
  autostop) cmd_autostop "$@" ;;
  idle) cmd_idle ;;
  configure) cmd_configure "$@" ;;
  ensure-daemon) lock; ensure_daemon; unlock; echo ok ;;
  stop-daemon) cmd_stop_daemon ;;
  daemon) cmd_daemon ;;
  driver) cmd_driver "$@" ;;
  rank) cmd_rank "$@" ;;
  kill-rank) cmd_kill_rank "$@" ;;
  *) die "unknown command '$cmd' (see the header of $AGENT)" ;;
esac
