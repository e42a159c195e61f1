#!/usr/bin/env bash
# bench/gc (1): reclaiming space after forgetting old snapshots, Haven beside restic and borg on
# the same data in the same run.
#
#   bench/gc/reclaim.sh DATASET WORKDIR [RUNS]
#
# Stage (once per WORKDIR; FORCE=1 stages anew): bench/e2e/peers-with-haven.sh runs the shared
# peers.sh, i.e. the dataset's three backups (initial, unchanged, mutated) for every peer,
# restic through `rclone serve restic` on 127.0.0.1, and keeps the repositories and caches.
# Then RUNS times (default 3), peer order rotated: each peer gets a fresh copy of its staged
# repository and cache, its server started on it, and forgets the first two snapshots and
# reclaims their space, every step timed:
#   haven        havend prune --group bench --keep-last 1; havend gc --wait; havend gc --wait
#                (the second run reclaims what the first condemned, and compacts)
#   restic-*     restic forget --keep-last 1 --prune
#   borg-*       borg prune --keep-last 1; borg compact
# then the repository's size: apparent (du -sb) and on disk (du -sB1).
# Results: WORKDIR/results/{reclaim.csv,table.txt}: medians over the runs, min-max of the
# seconds, and each peer's time and space left against restic-rest.
# DATASET: ../shared/bench/make-dataset.sh /var/tmp/bench/ds-1.5G 1.5G. Keep datasets and work
# dirs out of the repository and out of shared/ (/var/tmp/bench).
# Env: PEERS (default "haven restic-rest borg-lz4"), FORCE=1.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_NAME=reclaim.sh
# shellcheck source=../lib/common.sh
. "$REPO/bench/lib/common.sh"
bench_args 3 dist/bench/gc/reclaim-report.js "" "" "$@"
PEERS=${PEERS:-"haven restic-rest borg-lz4"}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret} # peers.sh's default
export BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes BORG_RELOCATED_REPO_ACCESS_IS_OK=yes
HAVEND=$REPO/bin/havend
CLK_TCK=$(getconf CLK_TCK)
STAGE=$WORKDIR/stage
RUN=$WORKDIR/run
RES=$WORKDIR/results

# ------------------------------------------------------------------ stage: three backups each
stage_three_backups "$DATASET" "$STAGE" "$PEERS"
rm -rf "$RUN" && mkdir -p "$RUN"/{repos,cache,logs} "$RES"
CSV=$RES/reclaim.csv
echo "run,peer,step,seconds,client_cpu_s,srv_cpu_s,repo_bytes,repo_alloc_bytes,exit_code,task_s" >"$CSV"

# ------------------------------------------------------------------ servers
SERVER_PID=
PORT=
start_server() { # PEER: serves the run copy of its repository, as peers.sh and haven-peer.sh do
  local peer=$1
  PORT=$(free_port)
  case $peer in
    restic-rest)
      : >"$RUN/rclone.conf"
      rclone serve restic --addr "127.0.0.1:$PORT" --config "$RUN/rclone.conf" \
        --log-file "$RUN/logs/rclone-serve.log" --log-level NOTICE "$RUN/repos/$peer" &
      SERVER_PID=$!
      wait_http "http://127.0.0.1:$PORT/config" "$SERVER_PID" "rclone serve restic"
      return 0 ;;
    haven)
      # no scheduled GC: the runs measured are the ones asked for
      HAVEND_GC_CRON= "$HAVEND" serve --data "$RUN/repos/haven" --listen "127.0.0.1:$PORT" >>"$RUN/logs/havend.log" 2>&1 &
      SERVER_PID=$!
      wait_http "http://127.0.0.1:$PORT/api/v1/health" "$SERVER_PID" "havend (see $RUN/logs/havend.log)" 2xx
      return 0 ;;
    *) SERVER_PID=; return 0 ;;
  esac
}
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true # a server stopped by TERM: not the benchmark's failure
  SERVER_PID=
}
trap 'stop_server' EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ reclaim steps
# steps PEER: the names of its steps; step_cmd PEER STEP sets CMD
steps() {
  case $1 in
    haven) echo "prune gc-1 gc-2" ;;
    restic-*) echo "forget-prune" ;;
    borg-*) echo "prune compact" ;;
  esac
}
step_cmd() {
  local peer=$1 step=$2 repo=$RUN/repos/$1
  case $peer:$step in
    haven:prune) CMD=("$HAVEND" prune --group bench --keep-last 1 --data "$repo") ;;
    haven:gc-*) CMD=("$HAVEND" gc --wait --data "$repo") ;;
    restic-*:forget-prune)
      [ "$peer" = restic-rest ] && repo="rest:http://127.0.0.1:$PORT/"
      CMD=(restic -r "$repo" --cache-dir "$RUN/cache/$peer" forget --keep-last 1 --prune) ;;
    borg-*:prune) CMD=(env "BORG_BASE_DIR=$RUN/cache/$peer" borg prune --keep-last 1 "$repo") ;;
    borg-*:compact) CMD=(env "BORG_BASE_DIR=$RUN/cache/$peer" borg compact "$repo") ;;
  esac
}

measure_step() { # RUN PEER STEP -> one CSV row
  local r=$1 peer=$2 step=$3 tf lg t0 t1 s0=0 s1=0 rc
  step_cmd "$peer" "$step"
  tf=$RUN/logs/$peer.$step.$r.time lg=$RUN/logs/$peer.$step.$r.log
  sync
  [ -n "$SERVER_PID" ] && s0=$(proc_ticks "$SERVER_PID")
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$tf" "${CMD[@]}" >"$lg" 2>&1 && rc=0 || rc=$?
  t1=$(date +%s.%N)
  [ -n "$SERVER_PID" ] && s1=$(proc_ticks "$SERVER_PID")
  read -r bytes alloc < <(repo_size "$RUN/repos/$peer")
  # havend gc prints its task's own duration: the rest of the step is the command's start and its polling
  local task
  task=$(sed -nE 's/^garbage collection succeeded \(task [^,]*, ([0-9.]+) s\).*/\1/p' "$lg")
  awk -v r="$r" -v peer="$peer" -v step="$step" -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v tck="$CLK_TCK" \
      -v b="$bytes" -v a="$alloc" -v rc="$rc" -v task="$task" -F': ' '
    /User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
    END { printf "%s,%s,%s,%.2f,%.2f,%.2f,%d,%d,%d,%s\n", r, peer, step, t1 - t0, u + s, (s1 - s0) / tck, b, a, rc, task }' "$tf" >>"$CSV"
  log "run $r $peer $step: rc=$rc $(tail -n 1 "$CSV" | cut -d, -f4) s"
  [ "$rc" = 0 ] || log "WARNING: $peer $step failed (see $lg)"
}

# ------------------------------------------------------------------ runs
read -r -a P <<<"$PEERS"
for r in $(seq 1 "$RUNS"); do
  k=$(( (r - 1) % ${#P[@]} ))
  for peer in "${P[@]:k}" "${P[@]:0:k}"; do
    rm -rf "$RUN/repos/$peer" "$RUN/cache/$peer"
    cp -a --sparse=always "$STAGE/repos/$peer" "$RUN/repos/$peer"
    [ -d "$STAGE/cache/$peer" ] && cp -a "$STAGE/cache/$peer" "$RUN/cache/$peer"
    read -r bytes alloc < <(repo_size "$RUN/repos/$peer")
    echo "$r,$peer,before,0,0,0,$bytes,$alloc,0," >>"$CSV"
    start_server "$peer"
    for step in $(steps "$peer"); do measure_step "$r" "$peer" "$step"; done
    stop_server
  done
done

{
  echo "date=$(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "fs: $(df -T "$WORKDIR" | awk 'NR==2{print $2" on "$1}')"
  echo "restic: $(restic version)"
  echo "borg: $(borg --version)"
  echo "rclone: $(rclone version | head -n 1)"
  echo "haven: $(git -C "$REPO" rev-parse --short HEAD)"
  echo "dataset: $DATASET; runs: $RUNS; peers: $PEERS"
} >"$RES/env.txt"
node "$REPO/dist/bench/gc/reclaim-report.js" "$CSV" | tee "$RES/table.txt"
