/**
 * The call server: one long-lived bash inside a node's container that runs agent calls, so a
 * call costs a fork inside the container instead of the entry's process starts on the node
 * (a `bash`, `nsenter` and its fork for the PID namespace; ./enter.ts). Bash only, as the
 * agent needs: images are not guaranteed to have anything else.
 *
 * Everything lives in one directory that the node and the container both see at the same path
 * (a `local` node's HOME, bind-mounted as the container's HOME), mode 0700:
 * - `ctl`: a FIFO the server reads lines from: `R ID` (run the call in `calls/ID`), `K ID`
 *   (kill its process group). The server holds it open for reading, so a client's non-blocking
 *   open for writing fails (ENXIO) exactly when no server is there.
 * - `alive`: a FIFO the server (and each call until it has taken its request) holds open for
 *   writing: a client reading it sees its end when they are all gone.
 * - `pool/N/`: ready call slots, each with the FIFOs `out`, `err` and `st` (created ahead, off
 *   the calls' path). A client claims one by renaming it to `calls/ID` (atomic), writes
 *   `req` (0600: cwd, stdin mode, the env's NAME=VALUE entries, argv; NUL-separated) and, for
 *   stdin, `stdin`, opens the FIFOs for reading, then sends `R ID`.
 * - `server`: the server's PID and start time (inside the container), so a second start while
 *   it runs does nothing.
 *
 * A call runs in its own process group (the server has job control on): it opens `st`
 * read-write (never blocks), marks `taken`, closes the server's descriptors, reads `req`,
 * opens `out` and `err`, acks with `A`, runs the command with the call's env in its cwd, and
 * reports `C <exit code>` on `st`. Its end (or its group killed by `K`) ends `st` for the client.
 */

/** The server's directory under the container's HOME (the same path on the node). */
export const CALL_SERVER_DIR = '.skydeck_calls';

/** SKYDECK_CONTAINER_CALL_SERVER=0 turns the server off (every call enters the container; benchmarks compare both). */
export function callServerEnabled(): boolean {
  return process.env.SKYDECK_CONTAINER_CALL_SERVER !== '0';
}

/**
 * Runs inside the container (entered once, at bring-up). Argument: the directory. Does
 * nothing when a server already runs there (or the image's bash is older than 4.4);
 * otherwise sets the directory up afresh and starts the server detached, in its own process
 * group, with the umask it was started with for the calls and 0077 for its own files.
 */
export const CALL_SERVER_SCRIPT = `root=$1 um=$(umask)
[ "\${BASH_VERSINFO[0]}\${BASH_VERSINFO[1]}" -ge 44 ] 2>/dev/null || exit 1
if { read -r spid sstart < "$root/server"; } 2>/dev/null; then
  f=(); { read -ra f < "/proc/$spid/stat"; } 2>/dev/null
  [ -n "$sstart" ] && [ "\${f[21]:-}" = "$sstart" ] && [ "\${f[2]}" != Z ] && exit 0
fi
umask 077
shopt -s nullglob
# Adds 16 ready slots in the background: three process starts, none on a call's path.
fill() {
  local t="$root/tmp/$1" k s=() fifos=()
  for ((k = 0; k < 16; k++)); do s+=("$t/$(($1 + k))"); done
  mkdir -p "\${s[@]}" || return
  for k in "\${s[@]}"; do fifos+=("$k/out" "$k/err" "$k/st"); done
  mkfifo "\${fifos[@]}" && mv -f "\${s[@]}" "$root/pool/"
}
# One call, in its own process group (job control), so K kills it and everything it started.
call() {
  local d="$root/calls/$1" st o e i f n
  exec {st}<>"$d/st" || exit
  : > "$d/taken"
  exec {alive}>&- {ctl}>&-
  mapfile -d '' -t f < "$d/req" && [ "\${#f[@]}" -ge 4 ] || { echo 'E no request' >&$st; exit; }
  exec {o}>"$d/out" {e}>"$d/err" || { echo 'E no output pipes' >&$st; exit; }
  if [ "\${f[1]}" = f ]; then exec {i}<"$d/stdin"; else exec {i}</dev/null; fi
  echo A >&$st
  n=\${f[2]}
  (
    exec <&$i >&$o 2>&$e {i}<&- {o}>&- {e}>&- {st}>&-
    umask "$um"
    unset OLDPWD
    for kv in "\${f[@]:3:n}"; do export "$kv"; done
    cd "\${f[0]}" || exit 1
    export -n PWD
    exec "\${f[@]:3+n}"
  )
  echo "C $?" >&$st
}
serve() {
  local op id p next=16 filler=
  set -m
  exec {alive}<>"$root/alive" {ctl}<>"$root/ctl"
  while read -r -u "$ctl" op id; do
    [[ $id =~ ^[A-Za-z0-9_-]+$ ]] || continue
    case $op in
      R)
        call "$id" &
        echo $! > "$root/calls/$id/pid"
        p=("$root"/pool/*)
        if (( \${#p[@]} < 8 )) && ! { [ -n "$filler" ] && kill -0 "$filler"; }; then
          fill "$next" & filler=$!
          next=$((next + 16))
        fi ;;
      K) read -r p < "$root/calls/$id/pid" && kill -KILL -- "-$p" ;;
    esac
  done
}
# The first slots go straight into the pool: two process starts, beside the launch. A client
# that claims one before its FIFOs exist finds none and enters the container instead.
if [ -e "$root" ]; then rm -rf "$root" || exit 1; fi
first=() fifos=("$root/ctl" "$root/alive")
for ((k = 0; k < 16; k++)); do first+=("$root/pool/$k"); fifos+=("$root/pool/$k/out" "$root/pool/$k/err" "$root/pool/$k/st"); done
mkdir -p "\${first[@]}" "$root/calls" "$root/tmp" || exit 1
mkfifo "\${fifos[@]}" 2>/dev/null
[ -p "$root/ctl" ] && [ -p "$root/alive" ] || exit 1
set -m
serve </dev/null >/dev/null 2>&1 &
f=(); read -ra f < "/proc/$!/stat"
echo "$! \${f[21]}" > "$root/server"
`;
