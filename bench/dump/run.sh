#!/usr/bin/env bash
# bench/dump: reading back to stdout, `haven dump` beside `restic dump` on the same data in the
# same run: the dataset's largest file as it is, and the whole dataset directory as a tar.
#
#   bench/dump/run.sh DATASET WORKDIR [RUNS]
#
# Stage (once; STAGE=DIR reuses another benchmark's stage, e.g. bench/replication's WORKDIR/stage):
# the dataset's three backups for haven and restic-rest through bench/e2e/peers-with-haven.sh.
# Then RUNS times (default 5; the peers' order alternates), the newest snapshot of each, served
# on 127.0.0.1 by havend and by `rclone serve restic`, read with
#   haven   haven dump latest --group bench PATH      (each chunk verified before it is written)
#   restic  restic dump latest PATH                   (each blob authenticated and hashed)
# into `wc -c` (both outputs counted, so a short one shows). Results: WORKDIR/results/dump.csv
# and table.txt (medians); the figures are in docs/PERFORMANCE.md.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH_NAME=dump/run.sh
# shellcheck source=../lib/common.sh
. "$REPO/bench/lib/common.sh"
bench_args 5 dist/client/src/cli/commands/dump.js "restic rclone" "apt-get install restic rclone" "$@"
export RESTIC_PASSWORD=${RESTIC_PASSWORD:-bench-not-a-secret}
HAVEN=$REPO/bin/haven
CLK_TCK=$(getconf CLK_TCK)
STAGE=${STAGE:-$WORKDIR/stage}
RUN=$WORKDIR/run
RES=$WORKDIR/results

stage_three_backups "$DATASET" "$STAGE" "haven restic-rest"
rm -rf "$RUN" && mkdir -p "$RUN/logs" "$RES"
trap 'stop_servers' EXIT
trap 'exit 130' INT TERM

# Served in place: a dump only reads.
TOKEN=$("$REPO/bin/havend" token create --data "$STAGE/repos/haven" --scope admin --name bench-dump 2>>"$RUN/logs/havend.log")
start_havend "$STAGE/repos/haven" "$RUN/logs/havend.log"; HPORT=$PORT; HPID=${SERVERS[-1]}
start_rclone "$STAGE/repos/restic-rest" "$RUN/logs/rclone.log"; RPORT=$PORT; RPID=${SERVERS[-1]}
export HAVEN_SERVER=http://127.0.0.1:$HPORT HAVEN_TOKEN=$TOKEN HAVEN_CACHE_DIR=$RUN/cache/haven
RESTIC=(restic -r "rest:http://127.0.0.1:$RPORT/" --cache-dir "$RUN/cache/restic")

# Where the dataset sits in each snapshot (peers.sh backs up a copy, named as its run names it).
HDIR=$("$HAVEN" snapshots --group bench --json | node -e 'const s = JSON.parse(require("fs").readFileSync(0, "utf8")).snapshots; process.stdout.write(s[s.length - 1].paths[0])')
RDIR=$("${RESTIC[@]}" ls latest 2>/dev/null | sed -n 2p)
BIG=$(cd "$DATASET" && find . -type f -printf '%s %P\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
log "haven: $HDIR, restic: $RDIR, the largest file: $BIG"

CSV=$RES/dump.csv
echo "run,peer,what,seconds,client_cpu_s,srv_cpu_s,peak_rss_mib,bytes,exit_code" >"$CSV"
measure() { # RUN PEER WHAT SERVER_PID CMD...
  local r=$1 peer=$2 what=$3 spid=$4; shift 4
  local tf=$RUN/logs/$peer.$what.$r.time s0 s1 bytes rc
  s0=$(proc_ticks "$spid")
  bytes=$( { /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" 2>>"$RUN/logs/$peer.$what.$r.log"; echo "rc=$?" >"$tf.rc"; } | wc -c)
  s1=$(proc_ticks "$spid")
  rc=$(sed 's/rc=//' "$tf.rc")
  awk -v r="$r" -v p="$peer" -v w="$what" -v s0="$s0" -v s1="$s1" -v tck="$CLK_TCK" -v b="$bytes" -v rc="$rc" \
    'END { printf "%s,%s,%s,%.2f,%.2f,%.2f,%.1f,%d,%d\n", r, p, w, $1, $2 + $3, (s1 - s0) / tck, $4 / 1024, b, rc }' "$tf" >>"$CSV"
  log "run $r $peer $what: rc=$rc $(tail -n 1 "$CSV" | cut -d, -f4) s, $bytes bytes"
}
for r in $(seq 1 "$RUNS"); do
  order=(haven restic); [ $((r % 2)) = 0 ] && order=(restic haven)
  for peer in "${order[@]}"; do
    if [ "$peer" = haven ]; then
      measure "$r" haven file "$HPID" "$HAVEN" dump latest --group bench "$HDIR/$BIG"
      measure "$r" haven tree "$HPID" "$HAVEN" dump latest --group bench "$HDIR"
    else
      measure "$r" restic file "$RPID" "${RESTIC[@]}" dump latest "$RDIR/$BIG"
      measure "$r" restic tree "$RPID" "${RESTIC[@]}" dump latest "$RDIR"
    fi
  done
done

# Medians per peer and step, and restic's time over Haven's.
node - "$CSV" >"$RES/table.txt" <<'NODE'
const rows = require('fs').readFileSync(process.argv[2], 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pick = (peer, what, col) => rows.filter((r) => r[1] === peer && r[2] === what).map((r) => Number(r[col]));
console.log('what   peer     secs  min-max        client_cpu  srv_cpu  rss_MiB  bytes         failed');
const secs = {};
for (const what of ['file', 'tree']) for (const peer of ['haven', 'restic']) {
  const s = pick(peer, what, 3);
  secs[`${peer} ${what}`] = median(s);
  console.log([what.padEnd(6), peer.padEnd(7), median(s).toFixed(2).padStart(5), `${Math.min(...s).toFixed(2)}-${Math.max(...s).toFixed(2)}`.padEnd(13),
    median(pick(peer, what, 4)).toFixed(2).padStart(10), median(pick(peer, what, 5)).toFixed(2).padStart(8), median(pick(peer, what, 6)).toFixed(1).padStart(8),
    String(median(pick(peer, what, 7))).padStart(12), String(pick(peer, what, 8).filter((c) => c !== 0).length).padStart(7)].join(' '));
}
for (const what of ['file', 'tree']) console.log(`${what}: haven ${(secs[`restic ${what}`] / secs[`haven ${what}`]).toFixed(2)}x faster than restic (medians)`);
NODE
cat "$RES/table.txt"
