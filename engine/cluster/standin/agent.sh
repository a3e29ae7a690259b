#!/usr/bin/env bash
# Stand-in on-node agent (until engine/node's agent lands): a job table under $ROOT,
# one detached driver per job that runs every rank's launcher and merges their logs.
set -u
SELF="$(cd "$(dirname "$0")" && pwd)/$(basename "$0")"
mkdir -p "$1/jobs"
ROOT="$(cd "$1" && pwd)"; shift
cmd=$1; shift
cd "$ROOT" || exit 1
now() { date +%s%3N; }
case "$cmd" in
  ping) echo pong ;;
  submit)
    # stdin: rank launchers, one shell line each; args: name user resources
    exec 9>"$ROOT/lock"; flock 9
    id=$(( $(cat next_id 2>/dev/null || echo 0) + 1 )); echo "$id" > next_id
    J="$ROOT/jobs/$id"; mkdir -p "$J"
    flock -u 9
    printf '%s' "$1" > "$J/name"; printf '%s' "$2" > "$J/user"; printf '%s' "$3" > "$J/resources"
    cat > "$J/ranks"
    now > "$J/submitted"; echo PENDING > "$J/status"; : > "$J/run.log"
    now > "$ROOT/last_active"
    setsid nohup bash "$SELF" "$ROOT" drive "$id" </dev/null >/dev/null 2>&1 &
    echo "$id" ;;
  drive)
    id=$1; J="$ROOT/jobs/$id"; echo $$ > "$J/pid"
    echo RUNNING > "$J/status"; now > "$J/started"
    n=$(wc -l < "$J/ranks"); r=0; pids=()
    while IFS= read -r line; do
      if [ "$n" -gt 1 ]; then
        if [ $r = 0 ]; then p="(head, rank=0) "; else p="(worker$r, rank=$r) "; fi
      else p=""; fi
      ( SKYDECK_JOB_ID=$id bash -c "$(printf %s "$line" | base64 -d)" 2>&1 < /dev/null | tee "$J/rank-$r.log" | sed -u "s/^/$(printf '%s' "$p" | sed 's/[\/&]/\\&/g')/" >> "$J/run.log"; echo "${PIPESTATUS[0]}" > "$J/rank-$r.exit" ) &
      pids+=($!); r=$((r+1))
    done < "$J/ranks"
    wait "${pids[@]}"
    code=0
    for f in "$J"/rank-*.exit; do c=$(cat "$f"); [ "$c" != 0 ] && code=$c; done
    [ "$(cat "$J/status")" = CANCELLED ] || { if [ "$code" = 0 ]; then echo SUCCEEDED; else echo FAILED; fi > "$J/status"; }
    echo "$code" > "$J/exit"; now > "$J/ended"; now > "$ROOT/last_active" ;;
  queue)
    for d in $(ls "$ROOT/jobs" 2>/dev/null | sort -n); do
      J="$ROOT/jobs/$d"; st=$(cat "$J/status")
      if [ "$st" = RUNNING ] && [ -f "$J/pid" ] && ! kill -0 "$(cat "$J/pid")" 2>/dev/null; then st=FAILED_DRIVER; echo $st > "$J/status"; fi
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$d" "$st" "$(cat "$J/name")" "$(cat "$J/user")" "$(cat "$J/submitted")" \
        "$(cat "$J/started" 2>/dev/null)" "$(cat "$J/ended" 2>/dev/null)" "$(cat "$J/exit" 2>/dev/null)" "$(cat "$J/resources")"
    done ;;
  cancel)
    for id in "$@"; do
      J="$ROOT/jobs/$id"; [ -d "$J" ] || continue
      st=$(cat "$J/status")
      case "$st" in SUCCEEDED|FAILED|FAILED_SETUP|CANCELLED|FAILED_DRIVER) continue ;; esac
      echo CANCELLED > "$J/status"
      [ -f "$J/pid" ] && kill -TERM -- "-$(cat "$J/pid")" 2>/dev/null
      now > "$J/ended"; echo "$id"
    done ;;
  idle)
    busy=0
    for d in $(ls "$ROOT/jobs" 2>/dev/null); do case "$(cat "$ROOT/jobs/$d/status")" in PENDING|RUNNING|SETTING_UP|INIT) busy=1 ;; esac; done
    [ $busy = 1 ] && now > "$ROOT/last_active"
    last=$(cat "$ROOT/last_active" 2>/dev/null || now)
    echo $(( ($(now) - last) / 1000 )) ;;
  *) echo "unknown command $cmd" >&2; exit 2 ;;
esac
