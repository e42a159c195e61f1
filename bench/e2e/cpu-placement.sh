#!/usr/bin/env bash
# Samples where the benchmark's processes run, to check SPLIT_CPUS=1 (clients on CPU 0,
# servers on CPU 1) from the outside while peers.sh runs:
#
#   bench/e2e/cpu-placement.sh OUT.tsv [INTERVAL_S] &   ...run the bench...   kill %1
#   bench/e2e/cpu-placement.sh --summary OUT.tsv
#
# Every INTERVAL_S (0.5) it reads, for every thread of havend, the haven client, rclone serve
# restic, restic and borg, the CPUs the thread may run on (Cpus_allowed_list, what
# `taskset -p TID` prints) and, when the thread is running at that instant (state R), the CPU
# it is on (`ps -L -o psr`). A thread that merely sleeps keeps the CPU it last ran on, so
# only running samples count as placement. MATCH (a regex on the command line) keeps other
# people's processes out. Bounded: it stops by itself after MAX_S (7200 s).
set -uo pipefail

summary() { # per role and allowed-CPU set: threads, samples, and where the running samples ran
  printf "%-8s %-8s %8s %8s  %s\n" role allowed threads samples "running on (samples)"
  awk -F'\t' '
    { k=$2"\t"$5; samples[k]++; tids[k"\t"$4]=1; if ($6 != "-") running[k"\t"$6]++ }
    END {
      for (t in tids) { split(t, a, "\t"); nt[a[1]"\t"a[2]]++ }
      for (k in samples) {
        on=""
        for (r in running) { split(r, a, "\t"); if (a[1]"\t"a[2] == k) on=on "cpu" a[3] ":" running[r] " " }
        split(k, a, "\t")
        printf "%-8s %-8s %8d %8d  %s\n", a[1], a[2], nt[k], samples[k], on
      }
    }' "$1" | sort
}

if [ "${1:-}" = --summary ]; then summary "$2"; exit 0; fi
[ $# -ge 1 ] || { echo "usage: $0 OUT.tsv [INTERVAL_S] | --summary OUT.tsv" >&2; exit 2; }
OUT=$1 INTERVAL=${2:-0.5} MAX_S=${MAX_S:-7200}
MATCH=${MATCH:-.}   # a regex the command line must match too (this bench's paths; the machine is shared)
: >"$OUT"
role_of() { # command line -> role, or nothing
  case $1 in
    *bin/havend\ serve*) echo havend ;;
    *bin/haven\ backup*|*bin/haven\ restore*|*bin/haven\ check*) echo haven ;;
    *rclone\ serve\ restic*) echo rclone ;;
    restic\ *) echo restic ;;
    *borg\ create*|*borg\ extract*|*borg\ check*) echo borg ;;
  esac
}
end=$((SECONDS + MAX_S))
while [ "$SECONDS" -lt "$end" ]; do
  now=$(date +%s.%N)
  for pid in $(pgrep -f 'bin/havend serve|bin/haven (backup|restore|check)|rclone serve restic|^restic |borg (create|extract|check)'); do
    d=/proc/$pid
    cmd=$(tr '\0' ' ' <"$d/cmdline" 2>/dev/null) || continue
    role=$(role_of "$cmd"); [ -n "$role" ] || continue
    [[ $cmd =~ $MATCH ]] || continue
    for t in "$d"/task/*; do
      tid=${t##*/}
      stat=$(cat "$t/stat" 2>/dev/null) || continue
      # fields after the command name: state is the 3rd field, processor (psr) the 39th
      read -r -a f <<<"${stat##*) }"
      allowed=$(awk '/^Cpus_allowed_list/{print $2}' "$t/status" 2>/dev/null)
      psr=-; [ "${f[0]}" = R ] && psr=${f[36]}
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$now" "$role" "$pid" "$tid" "${allowed:-?}" "$psr" >>"$OUT"
    done
  done
  sleep "$INTERVAL"
done
