#!/usr/bin/env bash
# Lays Haven out under ROOT exactly as installed: /opt/haven (the built tree, production
# node_modules, the native addon and the Node runtime it was built and tested with),
# havend.service, /usr/bin/havend, and the default /etc/haven/havend.json.
# install.sh stages into / on the appliance; package.sh into the .deb's tree.
# The client's /usr/bin/haven and its units come from stage-client.sh (the haven-client
# package); /opt/haven/bin/haven stays here for the appliance's own restore drills.
#
# usage: appliance/stage.sh ROOT    (run from a built checkout: npm install done)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:?usage: stage.sh ROOT}
# shellcheck source=appliance/stage-lib.sh
. "$repo/appliance/stage-lib.sh"

for built in "$repo/dist/daemon/src/cli/main.js" "$repo/native/build/Release/haven_native.node"; do
  [ -e "$built" ] || { echo "stage.sh: $built is missing: run npm install (with npm_config_nodedir=/usr) first" >&2; exit 1; }
done

opt="$root/opt/haven"
new="$opt.new.$$"
rm -rf "$new"
mkdir -p "$new/dist" "$new/native/build/Release" "$new/node_modules"
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

stage_runtime "$new"
for exe in "$repo"/bin/*; do
  stage_executable "$exe" "$new" /opt/haven
done

swap_in "$new" "$opt"
trap - EXIT

mkdir -p "$root/lib/systemd/system" "$root/usr/bin" "$root/etc/haven"
install -m 644 "$repo/systemd/havend.service" "$root/lib/systemd/system/"
ln -sfn /opt/haven/bin/havend "$root/usr/bin/havend"
# The admin's configuration is never overwritten.
[ -e "$root/etc/haven/havend.json" ] || install -m 640 "$repo/appliance/havend.json" "$root/etc/haven/havend.json"
