#!/bin/sh
# The importers end to end: weave-admin import KIND SOURCE for FSyncMS, weave-minimal and
# Mozilla's Python and PHP servers, checked through nginx (tests/functional/
# import_sources_checks.py: logins with the source passwords, info/collections, every record).
# Usage: tests/functional/test_import_sources.sh BUILD_DIR   (BUILD_DIR holds weave-server,
#        weave-admin)
#
# NOTE: the readers (src/migrate/source_*) and the import command (weave-admin import, the
# writer) were built on separate branches. Until weave-admin has the command this suite
# skips, saying so, with "0 passed, 0 failed"; once it does, it runs in full.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3

# weave-admin names an unknown command ("unknown command: import") and exits 2.
probe=$("$build/weave-admin" import --help 2>&1)
case $probe in
  *"unknown command"*)
    echo "$me: skipped: this weave-admin has no import command yet (it comes with the" \
      "export/import branch); the readers are tested by the unit suite migration_sources"
    echo "0 passed, 0 failed"
    exit 0
    ;;
esac

make_tmp import-sources
WEAVE_ADMIN="$build/weave-admin" WEAVE_SERVER_BIN="$build/weave-server" \
  timeout -k 10 900 python3 "$here/import_sources_checks.py" "$tmp"
