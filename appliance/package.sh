#!/usr/bin/env bash
# `npm run package [-- OUTDIR]`: builds haven_<version>_<arch>.deb with dpkg-deb, laid out by
# stage.sh exactly as install.sh installs, and the haven-client package it depends on
# (package-client.sh); prints both paths, the appliance's last. Installable with
# `apt install ./haven_*.deb ./haven-client_*.deb`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/package-out}" && cd "${1:-$repo/package-out}" && pwd)
# shellcheck source=appliance/stage-lib.sh
. "$repo/appliance/stage-lib.sh"
"$repo/appliance/package-client.sh" "$out"
stage_package "$repo/appliance/stage.sh" haven
cat > "$root/DEBIAN/control" <<CONTROL
Package: haven
Version: $version
Architecture: $arch
Maintainer: Haven developers <haven@localhost>
Section: admin
Priority: optional
Depends: haven-client (= $version), ca-certificates, openssl, smartmontools, btrfs-progs, ledmon, systemd
Description: Haven backup appliance
 Turns a spare server into a deduplicating backup appliance: havend keeps the
 chunk store, receives backups over HTTPS, watches the disks and serves the
 admin UI. The client (haven, its units) comes from haven-client. Carries its own Node.js $("$root/opt/haven/node/bin/node" --version) runtime.
CONTROL
echo /etc/haven/havend.json > "$root/DEBIAN/conffiles"

cat > "$root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  /opt/haven/appliance/postinstall.sh
fi
SCRIPT
cat > "$root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  deb-systemd-invoke stop havend.service >/dev/null || true
fi
SCRIPT
# Purging removes the unit's enablement and the configuration, never /var/lib/haven: it
# holds the backups.
cat > "$root/DEBIAN/postrm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = purge ] && command -v deb-systemd-helper >/dev/null 2>&1; then
  deb-systemd-helper purge havend.service >/dev/null || true
fi
if [ -d /run/systemd/system ]; then
  systemctl --system daemon-reload >/dev/null || true
fi
SCRIPT
chmod 755 "$root/DEBIAN/postinst" "$root/DEBIAN/prerm" "$root/DEBIAN/postrm"

build_deb "$root" "$out" haven "$version" "$arch"
