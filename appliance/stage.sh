#!/usr/bin/env bash
# Lays Haven out under ROOT exactly as installed: /opt/haven (the built tree, production
# node_modules, the native addon and the Node runtime it was built and tested with),
# /lib/systemd/system units, /usr/bin links, and the default /etc/haven/havend.json.
# install.sh stages into / on the appliance; package.sh into the .deb's tree.
#
# usage: appliance/stage.sh ROOT    (run from a built checkout: npm install done)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:?usage: stage.sh ROOT}
node_bin=$(readlink -f "${HAVEN_NODE:-$(command -v node)}")

for built in "$repo/dist/daemon/src/cli/main.js" "$repo/native/build/Release/haven_native.node"; do
  [ -e "$built" ] || { echo "stage.sh: $built is missing: run npm install (with npm_config_nodedir=/usr) first" >&2; exit 1; }
done

opt="$root/opt/haven"
new="$opt.new.$$"
rm -rf "$new"
mkdir -p "$new/dist" "$new/native/build/Release" "$new/node/bin" "$new/node_modules"
trap 'rm -rf "$new"' EXIT

cp "$repo/package.json" "$repo/package-lock.json" "$repo/README.md" "$new/"
cp -r "$repo/docs" "$repo/systemd" "$new/"
mkdir -p "$new/appliance"
cp "$repo/appliance/postinstall.sh" "$repo/appliance/havend.json" "$new/appliance/"
# The compiled program without tests and benchmarks.
for part in core daemon client; do
  [ -d "$repo/dist/$part" ] && cp -r "$repo/dist/$part" "$new/dist/"
done
cp "$repo/native/build/Release/haven_native.node" "$new/native/build/Release/"
[ -d "$repo/ui/dist" ] && mkdir -p "$new/ui" && cp -r "$repo/ui/dist" "$new/ui/"

# Production dependencies only, as npm resolved them (no network: copied from node_modules).
(cd "$repo" && npm ls --omit=dev --all --parseable 2>/dev/null) | while read -r dir; do
  [ "$dir" = "$repo" ] && continue
  rel=${dir#"$repo"/}
  mkdir -p "$new/$(dirname "$rel")"
  cp -r "$dir" "$new/$rel"
done

# The runtime the tree was built (native ABI) and tested with; Debian 12's own nodejs is 18.
cp "$node_bin" "$new/node/bin/node"
"$new/node/bin/node" --version > "$new/node/VERSION"

# Executables run by that runtime, each still one process (no wrapper).
mkdir -p "$new/bin"
for exe in "$repo"/bin/*; do
  name=$(basename "$exe")
  { echo '#!/opt/haven/node/bin/node'; tail -n +2 "$exe"; } > "$new/bin/$name"
  chmod 755 "$new/bin/$name"
done

# Swap the tree in whole: an interrupted install leaves the previous one intact.
if [ -d "$opt" ]; then
  mv "$opt" "$opt.old.$$"
  mv "$new" "$opt"
  rm -rf "$opt.old.$$"
else
  mkdir -p "$(dirname "$opt")"
  mv "$new" "$opt"
fi
trap - EXIT

mkdir -p "$root/lib/systemd/system" "$root/usr/bin" "$root/etc/haven"
install -m 644 "$repo"/systemd/*.service "$repo"/systemd/*.timer "$root/lib/systemd/system/"
for exe in "$opt"/bin/*; do
  ln -sfn "/opt/haven/bin/$(basename "$exe")" "$root/usr/bin/$(basename "$exe")"
done
# The admin's configuration is never overwritten.
[ -e "$root/etc/haven/havend.json" ] || install -m 640 "$repo/appliance/havend.json" "$root/etc/haven/havend.json"
