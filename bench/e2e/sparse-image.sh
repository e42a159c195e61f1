#!/usr/bin/env bash
# bench/e2e/sparse-image.sh: a thin-provisioned disk image (a sparse file: a few extents of
# data in a large apparent size, as a VM's qcow-less raw image is) backed up and restored by
# Haven, restic and borg in the same run.
#
#   bench/e2e/sparse-image.sh WORKDIR [RUNS]
#
# SIZE (default 16G) is the image's apparent size, DATA_MIB (default 256) the MiB of seeded
# random data written in 1 MiB extents at evenly spread offsets. Each run (default 3; the
# peers' order rotates) starts every peer on an empty repository:
#   haven        havend on 127.0.0.1; haven backup, haven restore
#   restic-rest  `rclone serve restic` on 127.0.0.1; restic backup, restic restore (--sparse where it has it)
#   borg-lz4     a local repository (lz4, no encryption); borg create, borg extract --sparse
# Each restore goes into a fresh directory and is compared with the image (cmp) and its
# allocated bytes recorded. Results: WORKDIR/results/sparse.csv and table.txt (medians).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_NAME=e2e/sparse-image.sh
# shellcheck source=../lib/common.sh
. "$REPO/bench/lib/common.sh"
[ $# -ge 1 ] || { echo "usage: $0 WORKDIR [RUNS]" >&2; exit 2; }
[ -f "$REPO/dist/client/src/cli/main.js" ] || { echo "build first: npx tsc -p tsconfig.json" >&2; exit 2; }
for tool in restic rclone borg; do command -v "$tool" >/dev/null || { echo "$tool is needed (apt-get install restic rclone borgbackup)" >&2; exit 2; }; done
WORKDIR=$(realpath -m "$1")
RUNS=${2:-3}
SIZE=${SIZE:-16G}
DATA_MIB=${DATA_MIB:-256}
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret} BORG_PASSPHRASE='' BORG_UNKNOWN_UNENCRYPTED_REPO_ACCESS_IS_OK=yes
CLK_TCK=$(getconf CLK_TCK)
# restic restores holes from 0.15 on (--sparse); older ones write every zero
RESTIC_SPARSE=(); restic restore --help 2>/dev/null | grep -q -- '--sparse' && RESTIC_SPARSE=(--sparse)
RUN=$WORKDIR/run
RES=$WORKDIR/results
SRC=$WORKDIR/src
rm -rf "$RUN" "$RES" "$SRC" && mkdir -p "$RUN/logs" "$RES" "$SRC"
trap 'stop_servers' EXIT
trap 'exit 130' INT TERM

IMAGE=$SRC/disk.img
truncate -s "$SIZE" "$IMAGE"
BYTES=$(stat -c %s "$IMAGE")
# seeded extents (SHA-256 chains: incompressible, the same on every run) at evenly spread offsets
node -e 'const fs = require("fs"), c = require("crypto"); const [path, size, n] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
  const fd = fs.openSync(path, "r+"); const step = Math.floor(size / 1048576 / n) * 1048576;
  for (let i = 0; i < n; i++) { const parts = []; let s = Buffer.from(`extent-${i}`);
    for (let got = 0; got < 1048576; got += 32) { s = c.createHash("sha256").update(s).digest(); parts.push(s); }
    fs.writeSync(fd, Buffer.concat(parts), 0, 1048576, i * step); }
  fs.closeSync(fd);' "$IMAGE" "$BYTES" "$DATA_MIB"
log "image: $BYTES bytes apparent, $(($(stat -c %b "$IMAGE") * 512)) allocated, $DATA_MIB extents of 1 MiB"

CSV=$RES/sparse.csv
echo "run,peer,phase,seconds,client_cpu_s,srv_cpu_s,allocated_bytes,same,exit_code" >"$CSV"
# measure RUN PEER PHASE SERVER_PID RESTORED CMD...: one timed command, one CSV row
measure() {
  local r=$1 peer=$2 phase=$3 spid=$4 restored=$5; shift 5
  local tf=$RUN/logs/$peer.$phase.$r.time s0 s1 rc=0 same=- alloc=0
  s0=$(proc_ticks "$spid")
  /usr/bin/time -f '%e %U %S' -o "$tf" "$@" >>"$RUN/logs/$peer.$phase.$r.log" 2>&1 || rc=$?
  s1=$(proc_ticks "$spid")
  if [ -n "$restored" ]; then
    alloc=$(($(stat -c %b "$restored" 2>/dev/null || echo 0) * 512))
    if cmp -s "$IMAGE" "$restored"; then same=yes; else same=no; fi
  fi
  awk -v r="$r" -v p="$peer" -v ph="$phase" -v s0="$s0" -v s1="$s1" -v tck="$CLK_TCK" -v a="$alloc" -v same="$same" -v rc="$rc" \
    'END { printf "%s,%s,%s,%.2f,%.2f,%.2f,%.0f,%s,%d\n", r, p, ph, $1, $2 + $3, (s1 - s0) / tck, a, same, rc }' "$tf" >>"$CSV"
  log "run $r $peer $phase: rc=$rc $(tail -n 1 "$CSV" | cut -d, -f4) s, same=$same"
}

run_haven() {
  local r=$1 dir=$RUN/haven
  rm -rf "$dir" && mkdir -p "$dir"
  local token
  token=$("$REPO/bin/havend" token create --data "$dir/data" --scope admin 2>>"$RUN/logs/havend.log")
  start_havend "$dir/data" "$RUN/logs/havend.log"
  local pid=${SERVERS[-1]}
  (cd "$SRC" && HAVEN_SERVER=http://127.0.0.1:$PORT HAVEN_TOKEN=$token HAVEN_CACHE_DIR=$dir/cache \
    measure "$r" haven backup "$pid" "" "$REPO/bin/haven" backup --group sparse disk.img)
  HAVEN_SERVER=http://127.0.0.1:$PORT HAVEN_TOKEN=$token HAVEN_CACHE_DIR=$dir/cache \
    measure "$r" haven restore "$pid" "$dir/restored/disk.img" "$REPO/bin/haven" restore latest --group sparse --target "$dir/restored"
  stop_servers
}
run_restic() {
  local r=$1 dir=$RUN/restic
  rm -rf "$dir" && mkdir -p "$dir/repo"
  start_rclone "$dir/repo" "$RUN/logs/rclone.log"
  local pid=${SERVERS[-1]} rr=(restic -r "rest:http://127.0.0.1:$PORT/" --cache-dir "$dir/cache")
  "${rr[@]}" init >>"$RUN/logs/restic.init.log" 2>&1
  (cd "$SRC" && measure "$r" restic-rest backup "$pid" "" "${rr[@]}" backup --host bench disk.img)
  measure "$r" restic-rest restore "$pid" "$dir/restored/disk.img" "${rr[@]}" restore latest "${RESTIC_SPARSE[@]}" --target "$dir/restored"
  stop_servers
}
run_borg() {
  local r=$1 dir=$RUN/borg
  rm -rf "$dir" && mkdir -p "$dir/restored"
  borg init -e none "$dir/repo" >>"$RUN/logs/borg.init.log" 2>&1
  (cd "$SRC" && measure "$r" borg-lz4 backup 0 "" borg create --compression lz4 "$dir/repo::a" disk.img)
  (cd "$dir/restored" && measure "$r" borg-lz4 restore 0 "$dir/restored/disk.img" borg extract --sparse "$dir/repo::a")
}

PEERS=(haven restic borg)
for r in $(seq 1 "$RUNS"); do
  for i in 0 1 2; do "run_${PEERS[$(((i + r - 1) % 3))]}" "$r"; done
done

awk -F, 'NR > 1 { k = $2 "," $3; n[k]++; t[k, n[k]] = $4; c[k, n[k]] = $5 + $6; a[k] = $7; s[k] = s[k] $8 " "; bad[k] += ($9 != 0) }
  function med(arr, k, m,   i, j, v, x) { for (i = 1; i <= m; i++) v[i] = arr[k, i]
    for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { x = v[i]; v[i] = v[j]; v[j] = x }
    return m % 2 ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2 }
  END { printf "%-12s %-8s %5s %9s %8s %14s  %s\n", "peer", "phase", "runs", "seconds", "cpu_s", "allocated_MiB", "restored_same"
    for (k in n) { split(k, p, ","); printf "%-12s %-8s %5d %9.2f %8.2f %14.1f  %s%s\n", p[1], p[2], n[k], med(t, k, n[k]), med(c, k, n[k]), a[k] / 1048576, s[k], bad[k] ? " FAILED" : "" } }' "$CSV" \
  | sort -k2,2 -k1,1 | tee "$RES/table.txt"
