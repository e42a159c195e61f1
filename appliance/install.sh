#!/usr/bin/env bash
# Installs (or re-installs: it is idempotent) Haven on Debian 12 or 13, as root:
#
#   appliance/install.sh                  from this built checkout (npm install done)
#   appliance/install.sh haven_*.deb haven-client_*.deb
#                                         from the packages built by `npm run package`
#
# Installs smartmontools, btrfs-progs, ledmon and openssl with apt, Haven under /opt/haven
# and its client under /opt/haven-client, the default configuration in /etc/haven (an
# existing one is kept), state in /var/lib/haven, then enables and starts havend and prints
# its URL and TLS fingerprint.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root"
# shellcheck source=/dev/null
. /etc/os-release
case "${ID:-}:${VERSION_ID:-}" in
  debian:12 | debian:13) ;;
  *) die "Haven installs on Debian 12 or 13; this is ${PRETTY_NAME:-an unknown system}" ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
export DEBIAN_FRONTEND=noninteractive

if [ $# -gt 0 ]; then
  debs=()
  for deb in "$@"; do
    [ -f "$deb" ] || die "no such package: $deb"
    debs+=("$(readlink -f "$deb")")
  done
  apt-get update -qq
  # apt resolves the packages' dependencies (haven's on haven-client among them) and runs
  # haven's postinst (postinstall.sh).
  apt-get install -y -qq --no-install-recommends "${debs[@]}"
  exit 0
fi

apt-get update -qq
apt-get install -y -qq --no-install-recommends openssl smartmontools btrfs-progs ledmon >/dev/null
"$repo/appliance/stage-client.sh" /
"$repo/appliance/stage.sh" /
/opt/haven/appliance/postinstall.sh
