#!/usr/bin/env bash
# bench/replication: copying the shared dataset's three snapshots to an offsite, Haven beside
# restic and rsync on the same data in the same run, then Haven's follow-mode lag.
#
#   bench/replication/run.sh DATASET WORKDIR [RUNS]
#
# Stage (once; STAGE=DIR reuses another benchmark's stage, e.g. bench/gc's WORKDIR/stage):
# the dataset's three backups (initial, unchanged, mutated) for haven and restic-rest through
# bench/e2e/peers-with-haven.sh. Then RUNS times (default 3), order rotated, each from a fresh
# copy of its staged repository (so the source is in the page cache for every peer alike):
#   haven         a source havend and an empty offsite havend on 127.0.0.1, the source added as
#                 a peer (replicate token); timed: `havend replicate src --wait` (every object
#                 verified on arrival, snapshots committed with the source's ids)
#   restic-copy   two `rclone serve restic` on 127.0.0.1, the destination initialised with the
#                 source's chunker parameters; timed: `restic copy --from-repo`
#   rsync-check   timed: `rsync -a` of the source's data directory, then `havend store check` of
#                 the copy (rsync alone verifies nothing; the check re-hashes every record)
# Follow lag (once, after the runs): a fresh source and an offsite following it; the dataset is
# backed up, then mutated three times (mutate-dataset.sh seeds 1-3) and backed up each time;
# bench/replication/follow-lag.ts measures from each commit to the offsite listing it.
# Results: WORKDIR/results/{replication.csv,lag.csv,table.txt,env.txt}.
# Env: FORCE=1 (stage anew), STAGE, SKIP_LAG=1.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_NAME=replication/run.sh
# shellcheck source=../lib/common.sh
. "$REPO/bench/lib/common.sh"
bench_args 3 dist/bench/replication/report.js "restic rclone rsync" "apt-get install restic rclone rsync" "$@"
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret} RESTIC_FROM_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret}
HAVEND=$REPO/bin/havend
HAVEN=$REPO/bin/haven
CLK_TCK=$(getconf CLK_TCK)
STAGE=${STAGE:-$WORKDIR/stage}
RUN=$WORKDIR/run
RES=$WORKDIR/results
PEERS="haven restic-copy rsync-check"

stage_three_backups "$DATASET" "$STAGE" "haven restic-rest"
mkdir -p "$RES"
CSV=$RES/replication.csv
echo "run,peer,step,seconds,client_cpu_s,srv_cpu_s,copy_bytes,fetched_bytes,exit_code" >"$CSV"

trap 'stop_servers' EXIT
trap 'exit 130' INT TERM

# measure RUN PEER STEP COPY_DIR CMD...: one CSV row; fetched bytes from the command's JSON, if any
measure() {
  local r=$1 peer=$2 step=$3 dir=$4; shift 4
  local tf=$RUN/logs/$peer.$step.$r.time lg=$RUN/logs/$peer.$step.$r.log t0 t1 s0 s1 rc fetched
  sync
  s0=$(servers_ticks)
  t0=$(date +%s.%N)
  /usr/bin/time -v -o "$tf" "$@" >"$lg" 2>&1 && rc=0 || rc=$?
  t1=$(date +%s.%N)
  s1=$(servers_ticks)
  fetched=$(node -e 'try { const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); process.stdout.write(String(j.bytesFetched ?? "")) } catch {}' "$lg")
  awk -v r="$r" -v peer="$peer" -v step="$step" -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v tck="$CLK_TCK" \
      -v b="$(du -sb "$dir" | cut -f1)" -v f="$fetched" -v rc="$rc" -F': ' '
    /User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
    END { printf "%s,%s,%s,%.2f,%.2f,%.2f,%d,%s,%d\n", r, peer, step, t1 - t0, u + s, (s1 - s0) / tck, b, f, rc }' "$tf" >>"$CSV"
  log "run $r $peer $step: rc=$rc $(tail -n 1 "$CSV" | cut -d, -f4) s"
  [ "$rc" = 0 ] || log "WARNING: $peer $step failed (see $lg)"
}

run_haven() { # RUN
  local r=$1 src=$RUN/src-haven off=$RUN/off-haven sport
  cp -a --sparse=always "$STAGE/repos/haven" "$src"
  mkdir -p "$off"
  "$HAVEND" token create --data "$src" --scope replicate --name offsite >"$RUN/replicate.token" 2>>"$RUN/logs/havend-src.log"
  start_havend "$src" "$RUN/logs/havend-src.log"; sport=$PORT
  start_havend "$off" "$RUN/logs/havend-off.log"
  # a schedule that does not fire during the run: the pull measured is the one asked for
  "$HAVEND" peer add src --url "http://127.0.0.1:$sport" --token-file "$RUN/replicate.token" \
    --schedule '0 0 1 1 *' --data "$off" >>"$RUN/logs/havend-off.log" 2>&1 || die "peer add failed (see $RUN/logs/havend-off.log)"
  measure "$r" haven replicate "$off" "$HAVEND" replicate src --wait --json --data "$off"
  stop_servers
}

run_restic() { # RUN
  local r=$1 src=$RUN/src-restic dst=$RUN/dst-restic sport dport
  cp -a "$STAGE/repos/restic-rest" "$src"
  mkdir -p "$dst"
  start_rclone "$src" "$RUN/logs/rclone-src.log"; sport=$PORT
  start_rclone "$dst" "$RUN/logs/rclone-dst.log"; dport=$PORT
  restic -r "rest:http://127.0.0.1:$dport/" init --from-repo "rest:http://127.0.0.1:$sport/" --copy-chunker-params \
    >>"$RUN/logs/restic-init.log" 2>&1 || die "restic init failed (see $RUN/logs/restic-init.log)"
  measure "$r" restic-copy copy "$dst" restic -r "rest:http://127.0.0.1:$dport/" --cache-dir "$RUN/cache/restic" \
    copy --from-repo "rest:http://127.0.0.1:$sport/"
  stop_servers
}

run_rsync() { # RUN
  local r=$1 src=$RUN/src-rsync dst=$RUN/dst-rsync
  cp -a --sparse=always "$STAGE/repos/haven" "$src"
  measure "$r" rsync-check rsync "$dst" rsync -a "$src/" "$dst/"
  measure "$r" rsync-check store-check "$dst" "$HAVEND" store check --data "$dst"
}

read -r -a P <<<"$PEERS"
for r in $(seq 1 "$RUNS"); do
  k=$(( (r - 1) % ${#P[@]} ))
  for peer in "${P[@]:k}" "${P[@]:0:k}"; do
    rm -rf "$RUN" && mkdir -p "$RUN"/{logs,cache}
    case $peer in
      haven) run_haven "$r" ;;
      restic-copy) run_restic "$r" ;;
      rsync-check) run_rsync "$r" ;;
    esac
    mkdir -p "$RES/logs" && cp -a "$RUN/logs/." "$RES/logs/" # keep the logs of every run
  done
done

# ------------------------------------------------------------------ follow-mode lag
LAG=$RES/lag.csv
echo "backup,id,committed,seen,lag_seconds,backup_seconds" >"$LAG"
if [ "${SKIP_LAG:-0}" != 1 ]; then
  rm -rf "$RUN" && mkdir -p "$RUN"/{logs,cache,src,off,data}
  log "follow lag: copying the dataset"
  cp -a --sparse=always "$DATASET" "$RUN/data/ds"
  ADMIN_SRC=$("$HAVEND" token create --data "$RUN/src" --scope admin 2>>"$RUN/logs/lag.log")
  "$HAVEND" token create --data "$RUN/src" --scope replicate --name offsite >"$RUN/replicate.token" 2>>"$RUN/logs/lag.log"
  ADMIN_OFF=$("$HAVEND" token create --data "$RUN/off" --scope admin 2>>"$RUN/logs/lag.log")
  start_havend "$RUN/src" "$RUN/logs/havend-src.log"; SPORT=$PORT
  start_havend "$RUN/off" "$RUN/logs/havend-off.log"; OPORT=$PORT
  "$HAVEND" peer add src --url "http://127.0.0.1:$SPORT" --token-file "$RUN/replicate.token" --data "$RUN/off" \
    >>"$RUN/logs/lag.log" 2>&1 || die "peer add failed (see $RUN/logs/lag.log)"
  backup_and_lag() { # NAME
    local t0 t1 out
    node "$REPO/dist/bench/replication/follow-lag.js" "http://127.0.0.1:$SPORT" "$ADMIN_SRC" \
      "http://127.0.0.1:$OPORT" "$ADMIN_OFF" bench >"$RUN/lag.json" 2>>"$RUN/logs/lag.log" &
    local watcher=$!
    sleep 0.5 # the watcher has listed the source before the backup commits
    t0=$(date +%s.%N)
    (cd "$RUN/data" && HAVEN_SERVER="http://127.0.0.1:$SPORT" HAVEN_TOKEN=$ADMIN_SRC HAVEN_CACHE_DIR=$RUN/cache \
      "$HAVEN" backup --group bench --tag "$1" ds >>"$RUN/logs/lag.log" 2>&1) || die "backup $1 failed (see $RUN/logs/lag.log)"
    t1=$(date +%s.%N)
    wait "$watcher" || die "follow-lag $1 failed (see $RUN/logs/lag.log)"
    out=$(cat "$RUN/lag.json")
    node -e 'const j = JSON.parse(process.argv[1]); console.log([process.argv[2], j.id, j.committed, j.seen, j.lagSeconds.toFixed(3), process.argv[3]].join(","))' \
      "$out" "$1" "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')" >>"$LAG"
    log "follow lag after $1: $(tail -n 1 "$LAG" | cut -d, -f5) s"
  }
  backup_and_lag initial
  for seed in 1 2 3; do
    "$SHARED/bench/mutate-dataset.sh" "$RUN/data/ds" "$seed" >>"$RUN/logs/lag.log" 2>&1
    backup_and_lag "mutated-$seed"
  done
  stop_servers
  cp -a "$RUN/logs/." "$RES/logs/"
fi

{
  echo "date=$(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "fs: $(df -T "$WORKDIR" | awk 'NR==2{print $2" on "$1}')"
  echo "restic: $(restic version)"
  echo "rclone: $(rclone version | head -n 1)"
  echo "rsync: $(rsync --version | head -n 1)"
  echo "haven: $(git -C "$REPO" rev-parse --short HEAD)"
  echo "dataset: $DATASET; stage: $STAGE; runs: $RUNS"
  echo "load during the run (other work on the machine): $(cat /proc/loadavg)"
} >"$RES/env.txt"
node "$REPO/dist/bench/replication/report.js" "$CSV" "$LAG" | tee "$RES/table.txt"
