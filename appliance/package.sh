#!/usr/bin/env bash
# `npm run package [-- OUTDIR]`: builds haven_<version>_<arch>.deb with dpkg-deb, laid out by
# stage.sh exactly as install.sh installs. Installable with `apt install ./haven_*.deb`.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$repo/package-out}" && cd "${1:-$repo/package-out}" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/haven"

"$repo/appliance/stage.sh" "$root"

version=$(node -p "require('$repo/package.json').version")
arch=$(dpkg --print-architecture)
mkdir -p "$root/DEBIAN"
cat > "$root/DEBIAN/control" <<CONTROL
Package: haven
Version: $version
Architecture: $arch
Maintainer: Haven developers <haven@localhost>
Section: admin
Priority: optional
Installed-Size: $(du -sk "$root" | cut -f1)
Depends: ca-certificates, openssl, smartmontools, btrfs-progs, ledmon, systemd
Description: Haven backup appliance
 Turns a spare server into a deduplicating backup appliance: havend keeps the
 chunk store, receives backups over HTTPS, watches the disks and serves the
 admin UI; haven is the client. Carries its own Node.js $("$root/opt/haven/node/bin/node" --version) runtime.
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

deb="$out/haven_${version}_${arch}.deb"
# zstd: Debian 12's dpkg and apt read it, and it packs the 100 MB Node runtime in seconds
# where xz takes minutes.
dpkg-deb --root-owner-group -Zzstd -z9 --build "$root" "$deb" >/dev/null
echo "$deb"
