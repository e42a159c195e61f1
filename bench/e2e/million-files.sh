#!/usr/bin/env bash
# Scale benchmark: a synthetic tree of a million small files, Haven beside restic.
#
#   bench/e2e/million-files.sh WORKDIR              (as root: it makes loop devices)
#
# 1. makes a fresh ext4 on a loop file and writes the tree into it with
#    dist/bench/e2e/small-files-tree.js (seeded: FILES files, SEED; a few hundred bytes to
#    8 KiB each, ~30 per directory, see that file), then its manifest (sha256, mode, size,
#    mtime of every entry, ../shared/bench/benchtool.py) once;
# 2. for every peer in PEERS (default "haven restic-rest"), one after the other:
#    initial backup, unchanged re-backup, and a restore into a freshly made ext4 on its own
#    loop file (mkfs per restore: restoring onto a file system that has just lost a million
#    inodes measures ext4's allocator, not the tool, see docs/PERFORMANCE.md), compared with
#    the manifest, then unmounted and removed.
# Haven runs through ../shared/bench/haven-peer.sh (the same havend/haven commands as
# peers.sh); restic through `rclone serve restic` on 127.0.0.1 as in peers.sh's restic-rest.
# Per phase: wall s, client user+sys CPU and peak RSS (/usr/bin/time -v), the server's CPU s
# and peak RSS (from /proc), the repository's size, and the load average before and after
# (the machine is shared: read the figures beside it).
#
# Env: FILES (1000000), SEED (1), PEERS, PHASE_TIMEOUT (s per phase, 3600), IMAGE_GIB (size of
# each sparse loop file, 16), VERIFY (1: compare every restore with the manifest),
# PROFILE=1 (the haven client and havend write V8 CPU profiles into WORKDIR/prof: read them
# with a profile viewer, e.g. Chrome DevTools, or /var/tmp/bench/topprof.mjs here).
# The haven client's RSS over time goes to logs/haven.PHASE.rss (seconds, VmRSS kB, RssAnon kB), KEEP_SOURCE=1 (keep the tree's image).
# Cleanup on any exit: servers stopped, file systems unmounted, loop devices detached, images
# removed. Output: WORKDIR/results/{results.csv,table.txt,env.txt}, logs in WORKDIR/logs; the
# repositories and caches stay in WORKDIR/{repos,cache} (a few GiB: remove WORKDIR when done).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${HAVEN_SHARED:-$(cd "$REPO/../shared" && pwd)}
BENCH_NAME=million-files
source "$REPO/bench/lib/common.sh"
[ $# -eq 1 ] || { echo "usage: $0 WORKDIR" >&2; exit 2; }
[ "$(id -u)" = 0 ] || die "needs root (losetup, mount)"
[ -f "$REPO/dist/bench/e2e/small-files-tree.js" ] || die "build first: npx tsc -p tsconfig.json"
for tool in restic rclone mkfs.ext4 losetup /usr/bin/time timeout; do command -v "$tool" >/dev/null || die "$tool missing"; done

WORKDIR=$(realpath -m "$1")
FILES=${FILES:-1000000} SEED=${SEED:-1} PEERS=${PEERS:-"haven restic-rest"}
PHASE_TIMEOUT=${PHASE_TIMEOUT:-3600} IMAGE_GIB=${IMAGE_GIB:-16} VERIFY=${VERIFY:-1}
INODES=$((FILES + FILES / 4 + 10000)) # the files, their directories, and room
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret}
CLK_TCK=$(getconf CLK_TCK)

rm -rf "$WORKDIR"/{repos,cache,logs,results,prof}
mkdir -p "$WORKDIR"/{repos,cache,logs,results,mnt}
RES=$WORKDIR/results CSV=$WORKDIR/results/results.csv
declare -A SERVER_PID=() FS_DEV=()
STARTED_PIDS=()

# ------------------------------------------------------------------ file systems on loop files
fresh_fs() { # fresh_fs NAME: a new ext4 mounted at WORKDIR/mnt/NAME
  local name=$1 img=$WORKDIR/$1.img mnt=$WORKDIR/mnt/$1 dev
  rm -f "$img"; truncate -s "${IMAGE_GIB}G" "$img"
  # inode tables written now, not by a kernel thread during the measured phases
  mkfs.ext4 -q -F -N "$INODES" -E lazy_itable_init=0,lazy_journal_init=0 "$img"
  dev=$(losetup -f --show "$img")
  FS_DEV[$name]=$dev
  mkdir -p "$mnt"; mount "$dev" "$mnt"
}
drop_fs() { # drop_fs NAME: unmount, detach, remove
  local name=$1 dev=${FS_DEV[$1]:-}
  [ -n "$dev" ] || return 0
  umount "$WORKDIR/mnt/$name" 2>/dev/null || umount -l "$WORKDIR/mnt/$name" 2>/dev/null || true
  losetup -d "$dev" 2>/dev/null || true
  unset "FS_DEV[$name]"
  if [ "$name" != src ] || [ "${KEEP_SOURCE:-0}" != 1 ]; then rm -f "$WORKDIR/$name.img"; fi
}
cleanup() {
  local pid name
  for pid in "${STARTED_PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  for name in "${!FS_DEV[@]}"; do drop_fs "$name"; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ the tree
log "making $FILES files (seed $SEED) on a fresh ext4"
fresh_fs src
DATA=$WORKDIR/mnt/src/data DATA_PARENT=$WORKDIR/mnt/src DATA_NAME=data
gen_t0=$(date +%s.%N)
node "$REPO/dist/bench/e2e/small-files-tree.js" "$DATA" "$FILES" "$SEED" >"$RES/tree.txt"
log "tree: $(cat "$RES/tree.txt") in $(awk -v t0="$gen_t0" -v t1="$(date +%s.%N)" 'BEGIN{printf "%.0f", t1-t0}') s"
BYTES=$(sed -E 's/.*bytes=([0-9]+).*/\1/' "$RES/tree.txt")
# A tree at rest, as a nightly backup meets it: Haven records a file in its files cache only
# once its ctime is 2.5 s old (client/src/backup/settled.ts), and the first peer may start
# within that of the last file written.
sleep 3
if [ "$VERIFY" = 1 ]; then
  log "manifest of the tree"
  python3 "$SHARED/bench/benchtool.py" manifest "$DATA" >"$WORKDIR/logs/expected.manifest"
fi

# ------------------------------------------------------------------ peers
HAVEN_REPO=$REPO
source "$SHARED/bench/haven-peer.sh"
PORT=$(free_port)
peer_start() {
  case $1 in
    haven) peer_start_haven ;;
    restic-rest)
      mkdir -p "$WORKDIR/repos/restic-rest"; : >"$WORKDIR/rclone.conf"
      rclone serve restic --addr "127.0.0.1:$PORT" --config "$WORKDIR/rclone.conf" \
        --log-file "$WORKDIR/logs/rclone-serve.log" --log-level NOTICE "$WORKDIR/repos/restic-rest" &
      local pid=$!
      STARTED_PIDS+=("$pid"); SERVER_PID[restic-rest]=$pid
      wait_http "http://127.0.0.1:$PORT/config" "$pid" "rclone serve restic" ;;
    *) die "unknown peer $1" ;;
  esac
}
peer_cmd() { # peer_cmd PEER PHASE [RESTORE_DIR]: sets CWD and CMD
  local peer=$1 phase=$2 rdir=${3:-}
  case $peer in
    haven) peer_cmd_haven "$phase" "$rdir" ;;
    restic-rest)
      local base=(restic -r "rest:http://127.0.0.1:$PORT/" --cache-dir "$WORKDIR/cache/restic-rest")
      CWD=$WORKDIR
      case $phase in
        init) CMD=("${base[@]}" init) ;;
        initial|unchanged) CWD=$DATA_PARENT; CMD=("${base[@]}" backup --host bench --tag "$phase" "$DATA_NAME") ;;
        restore) CMD=("${base[@]}" restore latest --host bench --target "$rdir") ;;
      esac ;;
  esac
}
peer_stop() {
  local pid=${SERVER_PID[$1]:-}
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then wait "$pid" 2>/dev/null || true; fi
  unset "SERVER_PID[$1]"
}

# ------------------------------------------------------------------ measuring
# rss_timeline OUT: every second, the client's RSS and anonymous RSS (kB) while it runs (Haven
# only: where its memory goes over a run; stopped by the caller)
rss_timeline() {
  local pid t0=$SECONDS
  while :; do
    for pid in $(pgrep -f "$REPO/bin/haven (backup|restore)"); do
      awk -v t=$((SECONDS - t0)) '/^VmRSS/{r=$2} /^RssAnon/{a=$2} END{if (r) print t, r, a}' "/proc/$pid/status" 2>/dev/null
    done
    sleep 1
  done >"$1"
}
echo "peer,phase,seconds,files_per_s,client_cpu_s,user_s,sys_s,peak_rss_mib,srv_cpu_s,srv_peak_rss_mib,repo_mib,exit_code,verify,load1_before,load1_after" >"$CSV"
measure() { # measure PEER PHASE [RESTORE_DIR]: one CSV row; returns the command's exit code
  local peer=$1 phase=$2 rdir=${3:-}
  peer_cmd "$peer" "$phase" "$rdir"
  local tf=$WORKDIR/logs/$peer.$phase.time lg=$WORKDIR/logs/$peer.$phase.log
  sync
  local spid=${SERVER_PID[$peer]:-} s0=0 s1=0 srss=0 load0 load1 t0 t1 rc=0
  if [ -n "$spid" ]; then s0=$(proc_ticks "$spid"); echo 5 >"/proc/$spid/clear_refs" 2>/dev/null || true; fi
  local sampler=
  if [ "$peer" = haven ]; then rss_timeline "$WORKDIR/logs/$peer.$phase.rss" & sampler=$!; fi
  load0=$(cut -d' ' -f1 /proc/loadavg)
  t0=$(date +%s.%N)
  ( cd "$CWD" && exec /usr/bin/time -v -o "$tf" timeout --kill-after=30 "$PHASE_TIMEOUT" "${CMD[@]}" ) >"$lg" 2>&1 || rc=$?
  t1=$(date +%s.%N)
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; fi
  load1=$(cut -d' ' -f1 /proc/loadavg)
  if [ -n "$spid" ]; then
    s1=$(proc_ticks "$spid")
    srss=$(awk '/^VmHWM/{print $2}' "/proc/$spid/status" 2>/dev/null || echo 0)
  fi
  local user sys rss rbytes
  user=$(awk -F': ' '/User time \(seconds\)/{print $2}' "$tf" 2>/dev/null || true)
  sys=$(awk -F': ' '/System time \(seconds\)/{print $2}' "$tf" 2>/dev/null || true)
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$tf" 2>/dev/null || true)
  rbytes=$(find "$WORKDIR/repos/$peer" -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {print s+0}')
  awk -v peer="$peer" -v phase="$phase" -v t0="$t0" -v t1="$t1" -v files="$FILES" -v user="${user:-0}" \
      -v sys="${sys:-0}" -v rss="${rss:-0}" -v s0="$s0" -v s1="$s1" -v srss="${srss:-0}" -v rb="$rbytes" \
      -v rc="$rc" -v tck="$CLK_TCK" -v l0="$load0" -v l1="$load1" 'BEGIN{
        secs=t1-t0
        printf "%s,%s,%.1f,%.0f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%d,-,%s,%s\n", peer, phase, secs, files/secs,
          user+sys, user, sys, rss/1024, (s1-s0)/tck, srss/1024, rb/1048576, rc, l0, l1 }' >>"$CSV"
  log "$peer $phase: rc=$rc $(tail -n 1 "$CSV" | cut -d, -f3,5,8) s,cpu_s,rss_MiB (load $load0 -> $load1)"
  return "$rc"
}

# ------------------------------------------------------------------ environment record
{
  echo "date=$(date -u +%FT%TZ)"
  echo "host: $(uname -srm), $(nproc) cpus, $(awk '/MemTotal/{printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
  echo "tree: $(cat "$RES/tree.txt") (seed $SEED) on ext4 (loop file, ${IMAGE_GIB} GiB, $INODES inodes)"
  echo "restic: $(restic version 2>/dev/null); rclone: $(rclone version 2>/dev/null | head -n 1)"
  echo "haven: $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  echo "peers: $PEERS"
} >"$RES/env.txt"

# ------------------------------------------------------------------ run
if [ "${PROFILE:-0}" = 1 ]; then
  # node refuses --cpu-prof in NODE_OPTIONS: haven-peer.sh's executables become wrappers that pass it
  for exe in havend haven; do
    mkdir -p "$WORKDIR/prof/$exe"
    printf '#!/bin/sh\nexec node --cpu-prof --cpu-prof-dir=%s %s "$@"\n' "$WORKDIR/prof/$exe" "$REPO/bin/$exe" >"$WORKDIR/prof/$exe.sh"
    chmod +x "$WORKDIR/prof/$exe.sh"
  done
  HAVEND_BIN=$WORKDIR/prof/havend.sh HAVEN_BIN=$WORKDIR/prof/haven.sh
  log "PROFILE=1: V8 CPU profiles in $WORKDIR/prof"
fi
for p in $PEERS; do
  peer_start "$p"
  peer_cmd "$p" init
  ( cd "$CWD" && exec "${CMD[@]}" ) >"$WORKDIR/logs/$p.init.log" 2>&1 || die "init of $p failed (see logs/$p.init.log)"
  for phase in initial unchanged; do
    measure "$p" "$phase" || log "WARNING: $p $phase failed (see logs/$p.$phase.log)"
  done
  fresh_fs "restore-$p"
  rdir=$WORKDIR/mnt/restore-$p/target # beside lost+found: the tools restore into an empty directory
  mkdir "$rdir"
  if measure "$p" restore "$rdir" && [ "$VERIFY" = 1 ]; then
    got=$WORKDIR/logs/$p.restore.manifest
    if python3 "$SHARED/bench/benchtool.py" manifest "$rdir/$DATA_NAME" >"$got" &&
       cmp -s "$WORKDIR/logs/expected.manifest" "$got"; then v=ok; else
      v=FAIL; diff "$WORKDIR/logs/expected.manifest" "$got" | head -n 40 >"$WORKDIR/logs/$p.restore.diff" || true
    fi
    sed -i "\$s/,-,\([^,]*,[^,]*\)\$/,$v,\1/" "$CSV"
    log "$p restore verify: $v"
  fi
  drop_fs "restore-$p"
  peer_stop "$p"
done

column -s, -t "$CSV" | tee "$RES/table.txt"
log "results in $RES"
