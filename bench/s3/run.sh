#!/usr/bin/env bash
# bench/s3: the shared dataset's initial, mutated and restore phases with Haven's datastore on
# local disk and on a real Ceph RADOS Gateway (S3), beside restic with its S3 backend against
# the same gateway, in one run.
#
#   bench/s3/run.sh DATASET WORKDIR [RUNS]
#
# Each run (default 1; peers in rotated order) boots its own single-node Ceph from
# tests/lab/ceph-lab.sh (CEPH_LAB_STORE, default memstore, CEPH_LAB_STORE_GB default 8: the
# dataset's two stores take ~1.1 GB of objects, ~2.2 GB of the OSD's RAM), copies DATASET, then:
#   initial    every peer backs the copy up (Haven on S3: then the time until the bucket holds
#              everything: the upload queue empty, and the open segment sealed after
#              datastore.s3.idleSealSeconds = IDLE_SEAL (2 s) and uploaded; uploads run behind
#              ingest, so the backup's own time does not include them)
#   mutated    ../shared/bench/mutate-dataset.sh (seed 1), every peer backs it up again
#   restore    every peer restores the mutated snapshot, checked file by file against the
#              dataset (benchtool.py manifest); Haven on S3 twice: restore-warm with every
#              segment in the local cache (datastore.s3.cacheBytes 4 GiB), then restore-cold
#              after a restart with cacheBytes 0 (every cached segment evicted: each span is a
#              ranged GET). restic's data packs always come from the gateway (its cache holds
#              only metadata).
#   peers      haven-local (datastore.backend directory), haven-s3 (backend s3, bucket per run),
#              restic-s3 (restic -r s3:ENDPOINT/BUCKET)
# Store sizes after the mutated backup: haven-local's datastore directory; the buckets' bytes
# (radosgw-admin bucket stats) and haven-s3's local directory (index + cache).
# Results: WORKDIR/results/{s3.csv,uploads.csv,sizes.csv,table.txt,env.txt}, logs in
# WORKDIR/results/logs. Env: IDLE_SEAL (2), BENCH_DAEMON_NODE_ARGS (node flags for both daemons,
# e.g. "--cpu-prof --cpu-prof-dir=DIR").
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_NAME=s3/run.sh
# shellcheck source=../lib/common.sh
. "$REPO/bench/lib/common.sh"
bench_args 1 dist/bench/s3/report.js "restic python3 radosgw" "tests/lab/ceph-lab.sh install" "$@"
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret}
export CEPH_LAB_STORE=${CEPH_LAB_STORE:-memstore} CEPH_LAB_STORE_GB=${CEPH_LAB_STORE_GB:-8}
IDLE_SEAL=${IDLE_SEAL:-2}
HAVEND=$REPO/bin/havend
HAVEN=$REPO/bin/haven
LAB=$REPO/tests/lab/ceph-lab.sh
CLK_TCK=$(getconf CLK_TCK)
RUN=$WORKDIR/run
RES=$WORKDIR/results
PEERS="haven-local haven-s3 restic-s3"
mkdir -p "$RES/logs"
CSV=$RES/s3.csv UPLOADS=$RES/uploads.csv SIZES=$RES/sizes.csv
echo "run,peer,phase,seconds,client_cpu_s,srv_cpu_s,gw_cpu_s,fetched_bytes,exit_code,load1,verify" >"$CSV"
echo "run,after,queue_empty_s,all_uploaded_s,not_uploaded_bytes_at_start" >"$UPLOADS"
echo "run,peer,where,bytes" >"$SIZES"

declare -A PID TOKEN PORTOF
stop_havend() { # PEER
  local pid=${PID[$1]:-}
  [ -n "$pid" ] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PID[$1]=
}
stop_all() {
  stop_havend haven-local || true
  stop_havend haven-s3 || true
  [ -f "$RUN/ceph/ceph.conf" ] && bash "$LAB" stop "$RUN/ceph" >>"$RES/logs/ceph-lab.log" 2>&1 || true
}
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

# the S3 settings of haven-s3 (cacheBytes given by the caller)
s3_env() { # RUN
  echo HAVEND_DATASTORE_BACKEND=s3 "HAVEND_DATASTORE_S3_ENDPOINT=$S3_ENDPOINT" "HAVEND_DATASTORE_S3_BUCKET=haven-bench-$1" \
    "HAVEND_DATASTORE_S3_CREDENTIALS_FILE=$RUN/s3-credentials" "HAVEND_DATASTORE_S3_IDLE_SEAL_SECONDS=$IDLE_SEAL"
}

start_peer_havend() { # PEER RUN [extra env...]
  local peer=$1 r=$2 dir=$RUN/repos/$1 log=$RUN/logs/havend-$1.log extra=()
  shift 2
  mkdir -p "$dir"
  [ -n "${TOKEN[$peer]:-}" ] || TOKEN[$peer]=$("$HAVEND" token create --data "$dir" --scope admin 2>>"$log") || die "token create failed (see $log)"
  [ "$peer" = haven-s3 ] && read -r -a extra <<<"$(s3_env "$r")"
  PORTOF[$peer]=$(free_port)
  # through node so that BENCH_DAEMON_NODE_ARGS can profile the daemon
  # shellcheck disable=SC2086
  env "${QUIET[@]}" "${extra[@]}" "$@" node ${BENCH_DAEMON_NODE_ARGS:-} "$HAVEND" serve --data "$dir" \
    --listen "127.0.0.1:${PORTOF[$peer]}" >>"$log" 2>&1 &
  PID[$peer]=$!
  wait_http "http://127.0.0.1:${PORTOF[$peer]}/api/v1/health" "${PID[$peer]}" "havend $peer (see $log)" 2xx
}

gw_ticks() { # the gateway, the OSD and the mon together
  local n=0 f
  for f in "$RUN"/ceph/run/{client.rgw.lab,osd.0,mon.a}.pid; do [ -s "$f" ] && n=$((n + $(proc_ticks "$(cat "$f")"))); done
  echo "$n"
}
warm_tree() { find "$1" -type f -print0 | xargs -0 -r cat >/dev/null 2>&1 || true; }
bucket_bytes() { # BUCKET: bytes of its objects as the gateway counts them
  radosgw-admin --conf "$RUN/ceph/ceph.conf" bucket stats --bucket="$1" 2>/dev/null \
    | node -e 'let s=""; process.stdin.on("data", (d) => s += d).on("end", () => { const u = JSON.parse(s).usage["rgw.main"]; process.stdout.write(String(u ? u.size : 0)) })'
}

# peer_cmd PEER PHASE RUN [RESTORE_DIR]: sets CMD
peer_cmd() {
  local peer=$1 phase=$2 r=$3 rdir=${4:-}
  case $peer in
    haven-*)
      local h=(env "HAVEN_SERVER=http://127.0.0.1:${PORTOF[$peer]}" "HAVEN_TOKEN=${TOKEN[$peer]}" "HAVEN_CACHE_DIR=$RUN/cache/$peer" "$HAVEN")
      case $phase in
        initial|mutated) CMD=("${h[@]}" backup --group bench --tag "$phase" ds) ;;
        restore*) CMD=("${h[@]}" restore latest --group bench --target "$rdir") ;;
      esac ;;
    restic-s3)
      local base=(restic -r "s3:$S3_ENDPOINT/restic-bench-$r" --cache-dir "$RUN/cache/$peer")
      case $phase in
        init) CMD=("${base[@]}" init) ;;
        initial|mutated) CMD=("${base[@]}" backup --host bench --tag "$phase" ds) ;;
        restore*) CMD=("${base[@]}" restore latest --host bench --target "$rdir") ;;
      esac ;;
  esac
}

# measure RUN PEER PHASE [RESTORE_DIR]: one CSV row (the command runs in RUN/data)
measure() {
  local r=$1 peer=$2 phase=$3 rdir=${4:-}
  peer_cmd "$peer" "$phase" "$r" "$rdir"
  local tf=$RUN/logs/$peer.$phase.time lg=$RUN/logs/$peer.$phase.log t0 t1 s0=0 s1=0 g0 g1 rc fetched= load1
  local spid=${PID[$peer]:-}
  sync
  [ -n "$spid" ] && s0=$(proc_ticks "$spid")
  g0=$(gw_ticks)
  load1=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  (cd "$RUN/data" && exec timeout 1800 /usr/bin/time -v -o "$tf" "${CMD[@]}") >"$lg" 2>&1 && rc=0 || rc=$?
  t1=$(date +%s.%N)
  [ -n "$spid" ] && s1=$(proc_ticks "$spid")
  g1=$(gw_ticks)
  if [ "$peer" = haven-s3 ]; then
    fetched=$(curl -s -H "authorization: Bearer ${TOKEN[$peer]}" "http://127.0.0.1:${PORTOF[$peer]}/api/v1/datastore" \
      | node -e 'let s=""; process.stdin.on("data", (d) => s += d).on("end", () => { try { process.stdout.write(String(JSON.parse(s).objectStorage.fetchedBytes)) } catch {} })')
  fi
  awk -v r="$r" -v peer="$peer" -v phase="$phase" -v t0="$t0" -v t1="$t1" -v s0="$s0" -v s1="$s1" -v g0="$g0" -v g1="$g1" \
      -v tck="$CLK_TCK" -v f="$fetched" -v rc="$rc" -v l="$load1" -F': ' '
    /User time \(seconds\)/ { u = $2 } /System time \(seconds\)/ { s = $2 }
    END { printf "%s,%s,%s,%.2f,%.2f,%.2f,%.2f,%s,%d,%s,-\n", r, peer, phase, t1 - t0, u + s, (s1 - s0) / tck, (g1 - g0) / tck, f, rc, l }' "$tf" >>"$CSV"
  log "run $r $peer $phase: rc=$rc $(tail -n 1 "$CSV" | cut -d, -f4) s"
  [ "$rc" = 0 ] || log "WARNING: $peer $phase failed (see $lg)"
}

# after a haven-s3 backup: the time until the bucket holds everything
wait_uploaded() { # RUN AFTER
  local out
  out=$(node "$REPO/dist/bench/s3/wait-uploaded.js" "http://127.0.0.1:${PORTOF[haven-s3]}" "${TOKEN[haven-s3]}" 600) \
    || log "WARNING: haven-s3's uploads did not drain in 600 s"
  node -e 'const j = JSON.parse(process.argv[1]); console.log([process.argv[2], process.argv[3], j.queueEmptySeconds, j.allUploadedSeconds ?? "", j.atStart.notUploadedBytes].join(","))' \
    "$out" "$1" "$2" >>"$UPLOADS"
  log "run $1 haven-s3 after $2: queue empty, everything in the bucket: $(tail -n 1 "$UPLOADS" | cut -d, -f3,4) s"
}

verify_restore() { # RDIR: the restored tree against the dataset's manifest; marks the last CSV row
  local got=$RUN/logs/restored.manifest v=FAIL
  python3 "$SHARED/bench/benchtool.py" manifest "$1/ds" >"$got" 2>>"$RUN/logs/verify.log" && cmp -s "$RUN/expected.manifest" "$got" && v=ok
  [ "$v" = ok ] || diff "$RUN/expected.manifest" "$got" | head -n 40 >>"$RUN/logs/verify.log" || true
  sed -i "\$s/,-\$/,$v/" "$CSV"
  log "restore verify: $v"
}

read -r -a P <<<"$PEERS"
for r in $(seq 1 "$RUNS"); do
  k=$(( (r - 1) % ${#P[@]} ))
  ORDER=("${P[@]:k}" "${P[@]:0:k}")
  rm -rf "$RUN" && mkdir -p "$RUN"/{logs,cache,repos,data,restore}
  log "run $r: booting Ceph ($CEPH_LAB_STORE, $CEPH_LAB_STORE_GB GB)"
  CEPH_LAB_PORT=$(free_port) CEPH_LAB_MON_PORT=$(free_port) CEPH_LAB_MON_PORT1=$(free_port) \
    bash "$LAB" start "$RUN/ceph" >>"$RES/logs/ceph-lab.log" 2>&1 || die "ceph-lab start failed (see $RES/logs/ceph-lab.log)"
  # shellcheck disable=SC1091
  source "$RUN/ceph/s3.env"
  printf 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$RUN/s3-credentials"
  chmod 600 "$RUN/s3-credentials"
  log "run $r: copying the dataset"
  cp -a --sparse=always "$DATASET" "$RUN/data/ds"
  TOKEN=()
  start_peer_havend haven-local "$r"
  start_peer_havend haven-s3 "$r"
  peer_cmd restic-s3 init "$r"; "${CMD[@]}" >"$RUN/logs/restic-init.log" 2>&1 || die "restic init failed (see $RUN/logs/restic-init.log)"

  for p in "${ORDER[@]}"; do
    warm_tree "$RUN/data/ds"
    measure "$r" "$p" initial
    [ "$p" = haven-s3 ] && wait_uploaded "$r" initial
  done
  "$SHARED/bench/mutate-dataset.sh" "$RUN/data/ds" 1 >"$RUN/logs/mutate.log" 2>&1 || die "mutate-dataset.sh failed"
  python3 "$SHARED/bench/benchtool.py" manifest "$RUN/data/ds" >"$RUN/expected.manifest"
  for p in "${ORDER[@]}"; do
    warm_tree "$RUN/data/ds"
    measure "$r" "$p" mutated
    [ "$p" = haven-s3 ] && wait_uploaded "$r" mutated
  done

  echo "$r,haven-local,local,$(du -sb "$RUN/repos/haven-local" | cut -f1)" >>"$SIZES"
  echo "$r,haven-s3,bucket,$(bucket_bytes "haven-bench-$r")" >>"$SIZES"
  echo "$r,haven-s3,local,$(du -sb "$RUN/repos/haven-s3" | cut -f1)" >>"$SIZES"
  echo "$r,restic-s3,bucket,$(bucket_bytes "restic-bench-$r")" >>"$SIZES"

  for p in "${ORDER[@]}"; do
    phases=(restore)
    [ "$p" = haven-s3 ] && phases=(restore-warm restore-cold)
    for phase in "${phases[@]}"; do
      if [ "$phase" = restore-cold ]; then
        # a restart with an empty cache: every uploaded segment's file is evicted at start
        stop_havend haven-s3
        start_peer_havend haven-s3 "$r" HAVEND_DATASTORE_S3_CACHE_BYTES=0
      fi
      rm -rf "$RUN/restore/$p" && mkdir -p "$RUN/restore/$p"
      measure "$r" "$p" "$phase" "$RUN/restore/$p"
      verify_restore "$RUN/restore/$p"
      rm -rf "$RUN/restore/$p"
    done
  done
  stop_all
  mkdir -p "$RES/logs/run-$r" && cp -a "$RUN/logs/." "$RES/logs/run-$r/"
done

{
  echo "date=$(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "fs: $(df -T "$WORKDIR" | awk 'NR==2{print $2" on "$1}')"
  echo "ceph: $(radosgw --version | head -n 1); OSD store $CEPH_LAB_STORE"
  echo "restic: $(restic version)"
  echo "haven: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?'); idleSealSeconds $IDLE_SEAL"
  echo "dataset: $DATASET; runs: $RUNS"
  echo "load at the end (other work on the machine): $(cat /proc/loadavg)"
} >"$RES/env.txt"
node "$REPO/dist/bench/s3/report.js" "$RES" | tee "$RES/table.txt"
