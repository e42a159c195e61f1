# Shared by the benchmarks that start from the shared dataset (bench/gc/reclaim.sh,
# bench/replication/run.sh, bench/s3/run.sh): their command line, staging three backups, ports,
# a process's CPU, a directory's size.
# shellcheck shell=bash
# Needs REPO set by the caller; defines bench_args, log, die (with BENCH_NAME), free_port,
# proc_ticks, repo_size, stage_three_backups, QUIET, and the servers a benchmark starts
# (SERVERS, start_havend, start_rclone, servers_ticks, stop_servers).

log() { echo "[$(date +%T)] $*" >&2; }

# bench_args DEFAULT_RUNS BUILT_FILE "TOOL..." INSTALL_HINT "$@": the benchmarks' common
# command line (DATASET WORKDIR [RUNS]) into DATASET, WORKDIR and RUNS, with SHARED (../shared
# or HAVEN_SHARED); exits 2 with a usage line when it is wrong, when BUILT_FILE (relative to
# REPO) is missing or when a TOOL is not installed.
bench_args() {
  local runs=$1 built=$2 tools=$3 hint=$4 tool
  shift 4
  [ $# -ge 2 ] || { echo "usage: $0 DATASET WORKDIR [RUNS]" >&2; exit 2; }
  SHARED=${HAVEN_SHARED:-$(cd "$REPO/../shared" && pwd)}
  DATASET=$(realpath "$1")
  WORKDIR=$(realpath -m "$2")
  RUNS=${3:-$runs}
  [ -f "$REPO/$built" ] || { echo "build first: npx tsc -p tsconfig.json" >&2; exit 2; }
  for tool in $tools; do command -v "$tool" >/dev/null || { echo "$tool is needed ($hint)" >&2; exit 2; }; done
}
die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }

free_port() {
  local p
  for _ in $(seq 50); do
    p=$((20000 + RANDOM % 30000))
    [ -z "$(ss -ltnH "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
  done
  die "no free port"
}

# user + system clock ticks of a live process (0 once it is gone)
proc_ticks() { awk '{sub(/^.*\) /,""); print $12+$13}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# apparent and allocated bytes of a directory
repo_size() { echo "$(du -sb "$1" | cut -f1) $(du -sB1 "$1" | cut -f1)"; }

# stage_three_backups DATASET STAGE PEERS: the dataset's three backups (initial, unchanged,
# mutated) for every peer through bench/e2e/peers-with-haven.sh (restic through `rclone serve
# restic` on 127.0.0.1), repositories and caches kept in STAGE/repos and STAGE/cache. Done once
# per STAGE (FORCE=1 stages anew).
stage_three_backups() {
  local dataset=$1 stage=$2 peers=$3 p
  if [ "${FORCE:-0}" != 1 ] && [ -f "$stage/staged.ok" ]; then return 0; fi
  log "staging: three backups per peer through peers-with-haven.sh (a few minutes)"
  rm -f "$stage/staged.ok"
  PEERS=$peers FORCE=1 KEEP_REPOS=1 "$REPO/bench/e2e/peers-with-haven.sh" "$dataset" "$stage" >&2
  for p in $peers; do
    awk -F, -v p="$p" '$1 == p && $17 != 0 { bad = 1 } END { exit bad }' "$stage/results/results.csv" \
      || die "a phase of $p failed while staging (see $stage/logs)"
  done
  rm -rf "$stage/data" "$stage/restore"
  touch "$stage/staged.ok"
}

# wait_http URL PID WHAT [2xx]: until URL answers (any HTTP status; with 2xx, a success: havend's
# health answers 503 while it starts), while PID lives
wait_http() {
  local code
  for _ in $(seq 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$1" || true) # 000 (and exit 7) while nothing listens
    if [ "${4:-}" = 2xx ]; then [[ $code == 2?? ]] && return 0; else [ "$code" != 000 ] && return 0; fi
    kill -0 "$2" 2>/dev/null || die "$3 exited"
    sleep 0.1
  done
  die "$3 did not answer on $1"
}

# No scheduled maintenance in a benchmark's daemons: what is measured is the command timed.
QUIET=(HAVEND_GC_CRON= HAVEND_VERIFY_CRON= HAVEND_DRILL_CRON= HAVEND_RETENTION_PRUNE_CRON= HAVEND_DISKS_DISCOVERY=false)

# Servers started on 127.0.0.1 (their pids, for their CPU and their end).
SERVERS=()
stop_servers() {
  local pid
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
  SERVERS=()
}
# start_havend DIR LOG: $REPO's havend, quiet, on DIR; sets PORT, the pid joins SERVERS (not in
# a subshell: SERVERS must see it)
start_havend() {
  PORT=$(free_port)
  env "${QUIET[@]}" "$REPO/bin/havend" serve --data "$1" --listen "127.0.0.1:$PORT" >>"$2" 2>&1 &
  SERVERS+=("$!")
  wait_http "http://127.0.0.1:$PORT/api/v1/health" "$!" "havend on $1 (see $2)" 2xx
}
# start_rclone DIR LOG: `rclone serve restic` of DIR (its config in $RUN); sets PORT, the pid joins SERVERS
start_rclone() {
  PORT=$(free_port)
  : >"$RUN/rclone.conf"
  rclone serve restic --addr "127.0.0.1:$PORT" --config "$RUN/rclone.conf" --log-file "$2" --log-level NOTICE "$1" &
  SERVERS+=("$!")
  wait_http "http://127.0.0.1:$PORT/config" "$!" "rclone serve restic on $1"
}
servers_ticks() { local pid n=0; for pid in "${SERVERS[@]}"; do n=$((n + $(proc_ticks "$pid"))); done; echo "$n"; }
