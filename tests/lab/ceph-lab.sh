#!/usr/bin/env bash
# ceph-lab.sh (the repository's copy of ../shared/lab/ceph-lab.sh, used by tests/helpers/ceph.ts;
# .ci/run installs the packages) -- a real single-node Ceph cluster (Debian 12: Ceph 16.2.15
# Pacific) with the RADOS Gateway (S3 API) on 127.0.0.1, as plain daemons
# started from this script: no systemd, cephadm, udev, LVM, loop device or disk.
# For testing S3 clients (a backup datastore) against a real object store.
#
#   ceph-lab.sh install          apt-get install ceph-mon ceph-osd radosgw
#                                ceph-common (+ curl restic uuid-runtime)
#   ceph-lab.sh start [DIR]      boot 1 mon + 1 OSD + 1 radosgw (beast), no mgr;
#                                create S3 user "lab"; write DIR/s3.env; wait
#                                until a signed S3 request succeeds
#   ceph-lab.sh status [DIR]     ceph -s; each daemon's PID, VmHWM, VmRSS
#   ceph-lab.sh selftest [DIR]   curl --aws-sigv4 bucket/PUT/GET/DELETE and
#                                conditional PUTs; restic init/backup/restore/
#                                diff/check of /usr/share/doc
#   ceph-lab.sh stop [DIR]       TERM (then KILL) the daemons by the PID files
#                                this script wrote; rm -rf DIR
# DIR defaults to /var/tmp/ceph-lab.  Needs root (apt) for install only.
#
# After start:  source DIR/s3.env  exports
#   S3_ENDPOINT=http://127.0.0.1:7480  AWS_ACCESS_KEY_ID  AWS_SECRET_ACCESS_KEY
#   AWS_DEFAULT_REGION=us-east-1 (any region name is accepted by RGW's SigV4)
#   CEPH_CONF=DIR/ceph.conf (then `ceph -s`, `rados df`, `radosgw-admin` work)
# Path-style URLs only (http://127.0.0.1:7480/BUCKET/KEY); no TLS.
#
# Knobs (environment, defaults):
#   CEPH_LAB_PORT=7480            radosgw port on 127.0.0.1
#   CEPH_LAB_MON_PORT=3300        mon msgr2 port; CEPH_LAB_MON_PORT1=6789 msgr1
#   CEPH_LAB_OSD_PORTS=6800-7300  port range the OSD (and mgr) bind in
#   CEPH_LAB_STORE=memstore       objects in the OSD's RAM; or "bluestore":
#                                 a sparse file DIR/osd/block.img (+3 s boot)
#   CEPH_LAB_STORE_GB=4           memstore capacity / bluestore file size
#   CEPH_LAB_MGR=0                1: also run ceph-mgr (+300 MB RSS; only for
#                                 `ceph -s`/`ceph df` stats; RGW works without)
#   CEPH_LAB_ACCESS_KEY / CEPH_LAB_SECRET_KEY   fixed S3 keys (default random)
# Two clusters at once need another DIR, CEPH_LAB_PORT and CEPH_LAB_MON_PORT(1).
#
# Measured on the 2-core / 24 GiB Debian 12 machine (no systemd, no udev),
# ceph 16.2.15+ds-0+deb12u2, restic 0.14.0, curl 7.88.1:
#   install   30 s: 54 packages, 66 MB downloaded (+3 s apt-get update;
#             with CEPH_LAB_MGR=1: 78 packages, 72 MB, 54 s)
#   start     2.4-2.8 s: conf+keyring+monmap 0.3, mon mkfs+quorum 0.4, osd
#             new+mkfs 0.4, osd up 0.35, radosgw answering 0.6-0.9 (creates
#             its pools), user create 0.25, first signed S3 request 0.05 s.
#             bluestore: 6.3 s.  Key setting: paxos propose interval = 0.01
#             (with the default 1 s, each of radosgw's ~8 first-start pool
#             commands costs 1 s and start takes 14 s)
#   selftest  ~10 s: curl checks 1 s; restic init 2.9 s; backup of
#             /usr/share/doc (140 MiB, 4768 files) 2.5-2.8 s (~52 MiB/s);
#             restore ~2 s (~70 MiB/s); diff -r identical; restic check clean
#   stop      0.6-1 s (5 s more if a daemon ignores TERM: then KILL)
#   peak RSS  mon 40 MB, osd 163 MB (memstore, after the selftest; ~2x the
#             data it holds: 1.1 GB of objects -> 2.35 GB) / 115 MB
#             (bluestore), radosgw 110 MB, mgr (optional) 308 MB
# Findings (RGW 16.2):
#   - PUT with If-None-Match: * is honoured: 412 PreconditionFailed if the key
#     exists; of 8 racing create-if-absent PUTs of one key exactly 1 wins.
#   - If-Match / If-None-Match with an ETag compare it with the ETag *without*
#     quotes: the quoted ETag that HEAD/PUT return never matches (If-Match
#     -> always 412; If-None-Match: "<etag>" -> ignored, object overwritten).
#   - curl 7.88 --aws-sigv4 must send -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD'
#     (else 403 SignatureDoesNotMatch); region name: any.
#   - A full OSD (memstore past CEPH_LAB_STORE_GB) makes PUTs hang (RADOS
#     blocks writes; no 507), health HEALTH_ERR OSD_FULL.
#   - No mgr: RGW works; `ceph -s`/`ceph df` show no usage statistics.
#   - Daemons run as setsid children; when this script exits they are
#     reparented to PID 1, which here does not reap them: after stop they
#     linger as <defunct> zombies (harmless, no ports or memory).
set -euo pipefail

CMD=${1:-}
DIR=${2:-/var/tmp/ceph-lab}
DIR=$(realpath -m -- "$DIR")
PORT=${CEPH_LAB_PORT:-7480}
MON_PORT=${CEPH_LAB_MON_PORT:-3300}
MON_PORT1=${CEPH_LAB_MON_PORT1:-6789}
OSD_PORTS=${CEPH_LAB_OSD_PORTS:-6800-7300}
STORE=${CEPH_LAB_STORE:-memstore}
STORE_GB=${CEPH_LAB_STORE_GB:-4}
WITH_MGR=${CEPH_LAB_MGR:-0}
[[ $STORE == memstore || $STORE == bluestore ]] || { echo "CEPH_LAB_STORE must be memstore or bluestore" >&2; exit 2; }
PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)
DAEMONS=(client.rgw.lab osd.0 mgr.x mon.a) # stop order

T0=$(date +%s.%N)
TPREV=$T0
say() { printf '[ceph-lab] %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
step() { # step NAME: print the time since the previous step and since start
  local now; now=$(date +%s.%N)
  awk -v n="$1" -v a="$now" -v p="$TPREV" -v t="$T0" \
    'BEGIN { printf "[ceph-lab] %-36s %6.2fs  (total %6.2fs)\n", n, a - p, a - t }' >&2
  TPREV=$now
}
rate() { awk -v m="$1" -v a="$2" -v b="$3" \
  'BEGIN { printf "%d MiB in %.2f s = %.1f MiB/s", m, b - a, m / (b - a) }'; }
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

# wait_for SECONDS DAEMON DESCRIPTION COMMAND...: run COMMAND every 0.2 s until
# it succeeds; give up at once if DAEMON (a name in DIR/run) has exited
wait_for() {
  local limit=$1 daemon=$2 what=$3; shift 3
  local end=$(($(date +%s) + limit))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$daemon"; then say "$daemon exited while waiting for: $what"; return 1; fi
    if (($(date +%s) >= end)); then say "timed out after ${limit}s waiting for: $what"; return 1; fi
    sleep 0.2
  done
}

cephc() { ceph --conf "$DIR/ceph.conf" --connect-timeout 20 "$@"; }

# start_daemon NAME BINARY ARGS...: run it in the foreground (-f) in its own
# session, detached from our stdio; its PID goes to DIR/run/NAME.pid.
start_daemon() {
  local name=$1 bin=$2; shift 2
  setsid "$bin" -f --conf "$DIR/ceph.conf" "$@" </dev/null >>"$DIR/log/$name.out" 2>&1 &
  echo $! >"$DIR/run/$name.pid"
}

# pid_alive NAME: the PID in our file is alive and its command line names our conf
pid_alive() {
  local f="$DIR/run/$1.pid" pid
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ -r /proc/$pid/cmdline ]] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "--conf $DIR/ceph.conf"
}

stop_daemons() {
  local name pid i
  for name in "${DAEMONS[@]}"; do
    pid_alive "$name" || continue
    pid=$(<"$DIR/run/$name.pid")
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$name" || break; sleep 0.1; done
    if pid_alive "$name"; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.2; fi
    say "stopped $name (pid $pid)"
  done
}

cmd_install() {
  local want=("${PACKAGES[@]}" curl restic uuid-runtime) missing=() p
  [[ $WITH_MGR == 1 ]] && want+=(ceph-mgr)
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if ((${#missing[@]} == 0)); then say "all packages present"; step install; return; fi
  local policy; policy=$(apt-cache policy "${missing[0]}" 2>/dev/null || true)
  if [[ $policy != *"Candidate: "[0-9]* ]]; then # no package lists yet
    apt-get update -q >/dev/null
    step "apt-get update"
  fi
  # The postinst scripts try systemctl and fail harmlessly without systemd.
  local log=${TMPDIR:-/tmp}/ceph-lab-apt.log try
  for try in 1 2; do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
      -o Dpkg::Options::=--force-unsafe-io "${missing[@]}" >"$log" 2>&1; then
      step "install ${missing[*]}"
      return
    fi
    ((try == 1)) && apt-get update -q >/dev/null # stale lists: refresh, retry once
  done
  tail -30 "$log" >&2
  die "apt-get install failed (log: $log)"
}

write_conf() {
  local fsid=$1 bytes=$((STORE_GB * 1024 * 1024 * 1024))
  cat >"$DIR/ceph.conf" <<EOF
# written by ceph-lab.sh
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT1]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv4 = true
ms bind ipv6 = false
ms bind port min = ${OSD_PORTS%-*}
ms bind port max = ${OSD_PORTS#*-}
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
log file = $DIR/log/\$name.log
pid file = $DIR/run/\$name.ceph.pid
crash dir = $DIR/crash
log to syslog = false
err to syslog = false
; one OSD, one copy of everything
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon max pg per osd = 1000
mon data avail warn = 2
mon data avail crit = 1
mon warn on insecure global id reclaim allowed = false
auth allow insecure global id reclaim = false

[mon]
mon data = $DIR/mon/\$cluster-\$id
mon cluster log file = $DIR/log/cluster.log
; commit map changes at once: with the default 1 s each of the ~8 pool
; commands radosgw sends at its first start costs 1 s (start took 14 s)
paxos propose interval = 0.01
paxos min wait = 0.001
; no mgr by default: without this, health turns to MGR_DOWN 120 s after mkfs
; (radosgw does not care; only the statistics of ceph -s / ceph df need a mgr)
mon mgr mkfs grace = 31536000

[mgr]
mgr data = $DIR/mgr/\$cluster-\$id

[osd]
osd data = $DIR/osd/\$cluster-\$id
osd objectstore = $STORE
memstore device bytes = $bytes
bluestore block path = $DIR/osd/block.img
bluestore block create = true
bluestore block size = $bytes
bluestore fsck on mkfs = false
osd memory target = 939524096

[client.rgw.lab]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw thread pool size = 64
rgw enable usage log = false
EOF
}

start_failed() {
  local rc=$? f
  trap - EXIT
  ((rc == 0)) && return
  say "start FAILED (exit $rc); the logs' last lines:"
  for f in "$DIR"/log/*; do
    [[ -s $f ]] || continue
    say "--- $f"
    tail -n 12 "$f" >&2
  done
  stop_daemons
  say "daemons stopped; logs kept in $DIR/log -- '$0 stop $DIR' removes them"
  exit "$rc"
}

cmd_start() {
  local p
  for p in ceph-mon ceph-osd radosgw ceph ceph-authtool monmaptool radosgw-admin curl uuidgen; do
    command -v "$p" >/dev/null || die "$p not found: run '$0 install' first"
  done
  [[ $WITH_MGR == 1 ]] && { command -v ceph-mgr >/dev/null || die "ceph-mgr not found: CEPH_LAB_MGR=1 $0 install"; }
  [[ -e $DIR/ceph.conf ]] && die "$DIR already holds a cluster: '$0 stop $DIR' first"
  for p in "$PORT" "$MON_PORT" "$MON_PORT1"; do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && die "127.0.0.1:$p is already in use"
  done
  mkdir -p "$DIR"/{run,log,crash,mon/ceph-a,osd/ceph-0}
  trap start_failed EXIT
  local fsid; fsid=$(uuidgen)
  write_conf "$fsid"

  # One keyring holds every entity; ceph-mon --mkfs imports all of them, so no
  # `ceph auth add` round trips are needed later.
  local kr=$DIR/keyring
  ceph-authtool --create-keyring "$kr" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
    --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n osd.0 --cap mon 'allow profile osd' \
    --cap mgr 'allow profile osd' --cap osd 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' \
    --cap mds 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n client.rgw.lab --cap mon 'allow rw' --cap osd 'allow rwx' \
    --cap mgr 'allow rw' >/dev/null
  monmaptool --create --fsid "$fsid" \
    --addv a "[v2:127.0.0.1:$MON_PORT,v1:127.0.0.1:$MON_PORT1]" "$DIR/monmap" >/dev/null
  step "conf + keyring + monmap"

  ceph-mon --conf "$DIR/ceph.conf" --mkfs -i a --monmap "$DIR/monmap" --keyring "$kr" \
    >>"$DIR/log/mon.a.out" 2>&1 || die "ceph-mon --mkfs failed"
  start_daemon mon.a ceph-mon -i a
  wait_for 60 mon.a "mon quorum" cephc mon stat || die "mon did not start"
  step "mon mkfs + start + quorum"

  if [[ $WITH_MGR == 1 ]]; then
    mkdir -p "$DIR/mgr/ceph-x"
    start_daemon mgr.x ceph-mgr -i x
    step "mgr start (not waited for)"
  fi

  local osd_uuid id
  osd_uuid=$(uuidgen)
  id=$(cephc osd new "$osd_uuid" 0)
  [[ $id == 0 ]] || die "ceph osd new returned '$id', expected 0"
  ceph-osd --conf "$DIR/ceph.conf" -i 0 --mkfs --osd-uuid "$osd_uuid" \
    >>"$DIR/log/osd.0.out" 2>&1 || die "ceph-osd --mkfs failed"
  step "osd new + mkfs ($STORE)"
  start_daemon osd.0 ceph-osd -i 0
  osd_up() { cephc osd dump -f json | grep -q '"up":1'; }
  wait_for 120 osd.0 "osd.0 up" osd_up || die "osd.0 did not come up"
  step "osd start + up"

  # At its first start radosgw creates the default realm/zonegroup/zone and
  # the .rgw.root and default.rgw.{log,control,meta} pools (the bucket pools
  # come with the first bucket).
  start_daemon client.rgw.lab radosgw -n client.rgw.lab
  rgw_http() { curl -fsS -o /dev/null "http://127.0.0.1:$PORT/"; }
  wait_for 180 client.rgw.lab "radosgw on 127.0.0.1:$PORT" rgw_http || die "radosgw did not answer"
  step "radosgw start + answers HTTP"

  local ak=${CEPH_LAB_ACCESS_KEY:-$(hex 10 | tr a-f A-F)} sk=${CEPH_LAB_SECRET_KEY:-$(hex 20)}
  radosgw-admin --conf "$DIR/ceph.conf" user create --uid=lab --display-name="ceph-lab" \
    --access-key="$ak" --secret-key="$sk" >"$DIR/log/user-create.json" 2>>"$DIR/log/user-create.err" \
    || die "radosgw-admin user create failed"
  cat >"$DIR/s3.env" <<EOF
export S3_ENDPOINT=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID=$ak
export AWS_SECRET_ACCESS_KEY=$sk
export AWS_DEFAULT_REGION=us-east-1
export CEPH_CONF=$DIR/ceph.conf
EOF
  step "radosgw-admin user create"

  s3_ok() {
    curl -fsS -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ak:$sk" \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$PORT/"
  }
  wait_for 60 client.rgw.lab "a signed S3 ListBuckets" s3_ok || die "signed S3 request failed"
  step "signed S3 ListBuckets answers"
  trap - EXIT
  say "up: source $DIR/s3.env   (stop: $0 stop $DIR)"
}

rss_report() {
  local name pid
  for name in mon.a mgr.x osd.0 client.rgw.lab; do
    [[ -e $DIR/run/$name.pid ]] || continue
    if pid_alive "$name"; then
      pid=$(<"$DIR/run/$name.pid")
      printf '[ceph-lab] %-16s pid %-7s %s  %s\n' "$name" "$pid" \
        "$(grep VmHWM "/proc/$pid/status" | tr -s ' \t' ' ')" \
        "$(grep VmRSS "/proc/$pid/status" | tr -s ' \t' ' ')" >&2
    else
      say "$name NOT RUNNING (see $DIR/log/$name.log)"
    fi
  done
}

cmd_status() {
  [[ -e $DIR/ceph.conf ]] || die "no cluster in $DIR"
  cephc -s || true
  rss_report
}

cmd_stop() {
  [[ -d $DIR/run ]] && stop_daemons
  if [[ -e $DIR && ! -e $DIR/ceph.conf && -n $(ls -A "$DIR") ]]; then
    die "$DIR is not a ceph-lab directory; not removing it"
  fi
  rm -rf -- "$DIR"
  step "stop + rm $DIR"
}

cmd_selftest() {
  [[ -s $DIR/s3.env ]] || die "no $DIR/s3.env: run '$0 start $DIR' first"
  # shellcheck disable=SC1091
  source "$DIR/s3.env"
  local ep=$S3_ENDPOINT work fails=0 code b=curl-selftest-$$
  local sig=(--aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD")
  work=$(mktemp -d /var/tmp/ceph-lab-selftest.XXXXXX)
  s3() { curl -sS -o "$work/out" -w '%{http_code}' "${sig[@]}" "$@"; }
  check() { # check WHAT GOT WANT
    printf '[ceph-lab]   %-52s -> %s' "$1" "$2" >&2
    if [[ $2 == "$3" ]]; then echo >&2; else echo "  (WANTED $3)" >&2; fails=$((fails + 1)); fi
  }

  # --- curl + SigV4 ---------------------------------------------------------
  say "curl $(curl --version | head -1 | cut -d' ' -f2) --aws-sigv4, bucket $b"
  check "create bucket" "$(s3 -X PUT "$ep/$b")" 200
  head -c 100000 /dev/urandom >"$work/obj"
  check "PUT object (100 kB)" "$(s3 -T "$work/obj" "$ep/$b/obj")" 200
  code=$(curl -sS -o "$work/got" -w '%{http_code}' "${sig[@]}" "$ep/$b/obj")
  cmp -s "$work/obj" "$work/got" || code="$code, bytes differ"
  check "GET object" "$code" 200
  check "PUT If-None-Match: * on an existing key" "$(s3 -H 'If-None-Match: *' -T "$work/obj" "$ep/$b/obj")" 412
  check "PUT If-None-Match: * on a new key" "$(s3 -H 'If-None-Match: *' -T "$work/obj" "$ep/$b/new")" 200
  local etag
  etag=$(curl -sS -I "${sig[@]}" "$ep/$b/obj" | tr -d '\r' | awk -F': ' 'tolower($1)=="etag"{print $2}')
  check "PUT If-Match: <another etag>" "$(s3 -H 'If-Match: "0123"' -T "$work/obj" "$ep/$b/obj")" 412
  # RGW 16 compares the header with the *unquoted* ETag (AWS accepts the quoted one)
  check "PUT If-Match: <current etag, quoted as HEAD gives it>" \
    "$(s3 -H "If-Match: $etag" -T "$work/obj" "$ep/$b/obj")" 412
  check "PUT If-Match: <current etag, unquoted>" \
    "$(s3 -H "If-Match: ${etag//\"/}" -T "$work/obj" "$ep/$b/obj")" 200
  # race: N concurrent create-if-absent PUTs of one new key; exactly one may win
  local n=8 i
  for ((i = 0; i < n; i++)); do
    curl -sS -o /dev/null -w '%{http_code}\n' "${sig[@]}" -H 'If-None-Match: *' \
      -T "$work/obj" "$ep/$b/race" >"$work/race.$i" &
  done
  wait
  check "$n racing PUTs If-None-Match: * of one new key: 200s" "$(cat "$work"/race.* | grep -c '^200$' || true)" 1
  for i in obj new race; do check "DELETE $i" "$(s3 -X DELETE "$ep/$b/$i")" 204; done
  check "GET a deleted object" "$(s3 "$ep/$b/obj")" 404
  check "DELETE bucket" "$(s3 -X DELETE "$ep/$b")" 204
  step "curl SigV4 checks"

  # --- restic ---------------------------------------------------------------
  command -v restic >/dev/null || die "restic not installed: $0 install"
  export RESTIC_PASSWORD=ceph-lab-selftest RESTIC_CACHE_DIR=$work/cache
  local repo src=/usr/share/doc mb t1 t2
  repo="s3:$ep/restic-selftest-$(date +%s)-$$"
  mb=$(du -sm "$src" | cut -f1)
  say "$(restic version), repo $repo"
  restic -r "$repo" init >"$work/restic-init.log" 2>&1 \
    || { cat "$work/restic-init.log" >&2; fails=$((fails + 1)); }
  step "restic init"
  t1=$(date +%s.%N)
  restic -r "$repo" backup -q "$src" >"$work/restic-backup.log" 2>&1 \
    || { tail -20 "$work/restic-backup.log" >&2; fails=$((fails + 1)); }
  t2=$(date +%s.%N)
  say "  backup $src ($(find "$src" -type f | wc -l) files): $(rate "$mb" "$t1" "$t2")"
  step "restic backup"
  t1=$(date +%s.%N)
  restic -r "$repo" restore latest --target "$work/restore" >"$work/restic-restore.log" 2>&1 \
    || { tail -20 "$work/restic-restore.log" >&2; fails=$((fails + 1)); }
  t2=$(date +%s.%N)
  say "  restore: $(rate "$mb" "$t1" "$t2")"
  step "restic restore"
  if diff -r --no-dereference "$src" "$work/restore$src" >"$work/diff.log" 2>&1; then
    say "  diff -r: the restored tree is identical"
  else
    say "  diff -r: DIFFERENCES:"
    head -20 "$work/diff.log" >&2
    fails=$((fails + 1))
  fi
  if restic -r "$repo" check >"$work/restic-check.log" 2>&1; then
    say "  restic check: no errors"
  else
    tail -20 "$work/restic-check.log" >&2
    fails=$((fails + 1))
  fi
  step "diff + restic check"
  rss_report
  rm -rf -- "$work"
  if ((fails)); then say "selftest: $fails FAILED"; return 1; fi
  say "selftest: all passed"
}

case $CMD in
  install) cmd_install ;;
  start) cmd_start ;;
  status) cmd_status ;;
  selftest) cmd_selftest ;;
  stop) cmd_stop ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed '$d'
    exit 2
    ;;
esac
