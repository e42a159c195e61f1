# Shared by stage.sh (the appliance) and stage-client.sh (the client), sourced: how a tree
# under /opt is built beside the old one and swapped in, the Node runtime it carries, and
# its executables.

# The runtime the tree was built (native ABI) and tested with; Debian 12's own nodejs is 18.
# usage: stage_runtime NEW_TREE
stage_runtime() {
  local node_bin
  node_bin=$(readlink -f "${HAVEN_NODE:-$(command -v node)}")
  mkdir -p "$1/node/bin"
  cp "$node_bin" "$1/node/bin/node"
  "$1/node/bin/node" --version > "$1/node/VERSION"
}

# Executables run by the tree's runtime, each still one process (no wrapper). A V8 flag in the
# source's shebang (`#!/usr/bin/env -S node FLAG`) is kept: Linux hands the rest of a shebang
# line to the interpreter as one argument, so one flag at most.
# usage: stage_executable SOURCE NEW_TREE INSTALLED_TREE    (e.g. bin/haven .../opt/haven-client.new /opt/haven-client)
stage_executable() {
  local name flag
  name=$(basename "$1")
  flag=$(head -n 1 "$1" | sed -n 's|^#!/usr/bin/env -S node \(--[^ ]*\)$| \1|p')
  mkdir -p "$2/bin"
  { echo "#!$3/node/bin/node$flag"; tail -n +2 "$1"; } > "$2/bin/$name"
  chmod 755 "$2/bin/$name"
}

# Swaps NEW_TREE in as TREE whole: an interrupted install leaves the previous one intact.
# usage: swap_in NEW_TREE TREE
swap_in() {
  if [ -d "$2" ]; then
    mv "$2" "$2.old.$$"
    mv "$1" "$2"
    rm -rf "$2.old.$$"
  else
    mkdir -p "$(dirname "$2")"
    mv "$1" "$2"
  fi
}

# Builds PACKAGE's .deb from ROOT (its DEBIAN/control already written but for Installed-Size,
# which is appended here) into OUT and prints its path.
# usage: build_deb ROOT OUT PACKAGE VERSION ARCH
build_deb() {
  echo "Installed-Size: $(du -sk --exclude=DEBIAN "$1" | cut -f1)" >> "$1/DEBIAN/control"
  local deb="$2/$3_$4_$5.deb"
  # zstd: Debian 12's dpkg and apt read it, and it packs the 100 MB Node runtime in seconds
  # where xz takes minutes.
  dpkg-deb --root-owner-group -Zzstd -z9 --build "$1" "$deb" >/dev/null
  echo "$deb"
}

# Stages PACKAGE's tree with STAGE_SCRIPT in a temporary directory (removed on exit) and sets
# root (that tree, DEBIAN/ made), version and arch for the package's control file.
# usage: stage_package STAGE_SCRIPT PACKAGE    (with repo set to the checkout)
stage_package() {
  work=$(mktemp -d)
  # shellcheck disable=SC2064 # expanded now: $work is this call's directory
  trap "rm -rf '$work'" EXIT
  root="$work/$2"
  "$1" "$root"
  version=$(node -p "require('$repo/package.json').version")
  arch=$(dpkg --print-architecture)
  mkdir -p "$root/DEBIAN"
}
