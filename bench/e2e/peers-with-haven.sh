#!/usr/bin/env bash
# End-to-end benchmark: the real havend and haven side by side with restic and borg, on
# the same data in the same run, through ../shared/bench (peers.sh + haven-peer.sh).
#
#   bench/e2e/peers-with-haven.sh DATASET WORKDIR        one run of peers.sh
#   bench/e2e/peers-with-haven.sh DATASET WORKROOT 3     three runs of repeat.sh (medians)
#
# DATASET comes from ../shared/bench/make-dataset.sh (e.g. /var/tmp/bench/ds-1.5G 1.5G);
# keep datasets and work dirs out of the repository and out of shared/ (/var/tmp/bench).
# PEERS defaults to Haven and restic-rest (the issue's yardstick) plus both borgs; set
# PEERS="haven" for a quick Haven-only run. Results: WORKDIR/results/table.txt (one run)
# or WORKROOT/table.txt (medians).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
SHARED=${HAVEN_SHARED:-$(cd "$REPO/../shared" && pwd)}
[ $# -ge 2 ] || { echo "usage: $0 DATASET WORKDIR [RUNS]" >&2; exit 2; }
[ -x "$REPO/bin/haven" ] && [ -f "$REPO/dist/client/src/cli/main.js" ] || { echo "build first: npm install" >&2; exit 2; }
export HAVEN_REPO=$REPO
export EXTRA_PEERS_FILE=$SHARED/bench/haven-peer.sh
export PEERS=${PEERS:-"haven restic-rest borg-lz4 borg-none"}
if [ $# -ge 3 ]; then
  exec "$SHARED/bench/repeat.sh" "$1" "$2" "$3"
else
  exec "$SHARED/bench/peers.sh" "$1" "$2"
fi
