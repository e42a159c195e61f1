#!/usr/bin/env bash
# Lays the haven client out under ROOT exactly as installed: /opt/haven-client (the compiled
# modules the client reaches, the npm packages they load, the native addon and the Node
# runtime it was built and tested with: no daemon, UI, compiler or npm), the client's
# /lib/systemd/system units and /usr/bin/haven. package-client.sh stages into the .deb's
# tree; install.sh into / beside the appliance.
#
# usage: appliance/stage-client.sh ROOT    (run from a built checkout: npm install done)
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
root=${1:?usage: stage-client.sh ROOT}
# shellcheck source=appliance/stage-lib.sh
. "$repo/appliance/stage-lib.sh"

# The client's units. The appliance package depends on this one instead of shipping them.
units=(haven-backup@.service haven-backup@.timer haven-watch@.service)

[ -e "$repo/native/build/Release/haven_native.node" ] || {
  echo "stage-client.sh: the native addon is missing: run npm install (with npm_config_nodedir=/usr) first" >&2
  exit 1
}
# Computed before anything is written: it fails on an unbuilt tree.
closure=$(node "$repo/appliance/client-closure.mjs")

installed=/opt/haven-client
opt="$root$installed"
new="$opt.new.$$"
rm -rf "$new"
mkdir -p "$new"
trap 'rm -rf "$new"' EXIT

while read -r path; do
  [ "$path" = package.json ] && continue
  mkdir -p "$new/$(dirname "$path")"
  cp -r "$repo/$path" "$new/$path"
done <<< "$closure"
# The compiled modules are ES modules by their package.json; the version is the repository's.
node -e '
  const p = require(process.argv[1]);
  const client = { name: "haven-client", version: p.version, description: "Haven backup client", license: p.license, private: true, type: "module" };
  process.stdout.write(JSON.stringify(client, null, 2) + "\n");
' "$repo/package.json" > "$new/package.json"
cp "$repo/README.md" "$new/"
stage_runtime "$new"
stage_executable "$repo/bin/haven" "$new" "$installed"

swap_in "$new" "$opt"
trap - EXIT

mkdir -p "$root/lib/systemd/system" "$root/usr/bin"
for unit in "${units[@]}"; do
  install -m 644 "$repo/systemd/$unit" "$root/lib/systemd/system/"
done
ln -sfn "$installed/bin/haven" "$root/usr/bin/haven"
