#!/bin/sh
# Builds the Debian package (debian/) in a copy of the checkout under OUT_DIR, so that
# dpkg-buildpackage's files (.deb, .changes, .buildinfo, the debug symbols) land there
# and not beside the checkout, and nothing in the checkout changes.
# Usage: scripts/build-deb.sh OUT_DIR [JOBS]   (make deb: OUT_DIR is $(BUILD)/deb)
# The copy holds the files git knows plus new ones it does not ignore (the working tree,
# uncommitted changes included); outside a git checkout, everything but build folders.
# Prints the path of the .deb last.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: build-deb.sh OUT_DIR [JOBS]}
jobs=${2:-2}
version=$(cat "$root/VERSION")

rm -rf "$out"
src="$out/weave-server-$version"
mkdir -p "$src"
out=$(cd "$out" && pwd)
src="$out/weave-server-$version"
if git -C "$root" rev-parse --is-inside-work-tree > /dev/null 2>&1; then
  # Deleted but still tracked files are listed too: tar skips them.
  (cd "$root" && git ls-files -z --cached --others --exclude-standard |
    tar --null --files-from=- --ignore-failed-read -cf - 2> /dev/null) | tar -xf - -C "$src"
else
  tar -C "$root" --exclude='./build' --exclude='./build-*' --exclude='./var' -cf - . |
    tar -xf - -C "$src"
fi

(cd "$src" && dpkg-buildpackage -us -uc -b -j"$jobs") > "$out/build.log" 2>&1 || {
  tail -n 40 "$out/build.log" >&2
  echo "build-deb.sh: dpkg-buildpackage failed; the whole log: $out/build.log" >&2
  exit 1
}
echo "$out/weave-server_${version}_$(dpkg --print-architecture).deb"
