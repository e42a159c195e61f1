#!/usr/bin/env bash
# `npm run package:client [-- OUTDIR]`: builds haven-client_<version>_<arch>.deb, the client
# alone with its own Node runtime, laid out by stage-client.sh. Installs on Debian 12 or 13
# with `apt install ./haven-client_*.deb`, beside the appliance package or without it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/package-out}" && cd "${1:-$repo/package-out}" && pwd)
# shellcheck source=appliance/stage-lib.sh
. "$repo/appliance/stage-lib.sh"
stage_package "$repo/appliance/stage-client.sh" haven-client
# The carried runtime links only these (ldd); Debian 12's minimal system has them all.
# Replaces: the appliance package shipped /usr/bin/haven and the haven-backup@/haven-watch@ units before
# this package took them over.
cat > "$root/DEBIAN/control" <<CONTROL
Package: haven-client
Version: $version
Architecture: $arch
Maintainer: Haven developers <haven@localhost>
Section: admin
Priority: optional
Depends: libc6, libstdc++6, libgcc-s1
Replaces: haven
Description: Haven backup client
 haven backs a machine's files up to a Haven appliance over HTTPS and restores them;
 haven-backup@PROFILE.timer runs a profile's backup daily, haven-watch@PROFILE.service
 continuously. Carries its own Node.js
 $("$root/opt/haven-client/node/bin/node" --version) runtime.
CONTROL

# Removing the package leaves the profiles (/etc/haven/profiles) and the files cache.
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
SCRIPT
chmod 755 "$root/DEBIAN/postrm"

build_deb "$root" "$out" haven-client "$version" "$arch"
