#!/bin/sh
# Builds every tests/fuzz/fuzz_<name>.cpp with clang++ and libFuzzer (ASan + UBSan) and runs
# each for SECONDS on tests/fuzz/corpus/fuzz_<name>/, which keeps the inputs that found new
# coverage. A corpus past MAX_CORPUS files is minimised with -merge=1 (hand-written seeds,
# the files whose names are not 40-hex hashes, are always kept). Exits non-zero if any target
# crashed; each crashing input is also copied into its corpus as regression-<hash>, so that
# `make check` replays it from then on.
#
# Usage: tests/fuzz/run_fuzzers.sh SECONDS [fuzz_name ...]
# Environment: BUILD (build folder, default "build"), CLANGXX (default clang++),
#              MAX_CORPUS (default 200), FUZZ_FLAGS (extra libFuzzer flags).
set -eu

seconds=${1:-60}
[ $# -gt 0 ] && shift
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

build=${BUILD:-build}
work=$build/fuzz
gen=$work/gen
cxx=${CLANGXX:-clang++}
max_corpus=${MAX_CORPUS:-200}
jobs=$(nproc 2>/dev/null || echo 2)
mkdir -p "$work/obj" "$gen" "$work/artifacts"

# What the Makefile builds and links, so the two never drift apart.
make_var() {
  make -s --no-print-directory -f Makefile -f - print-fuzz-var FUZZ_VAR="$1" <<'EOF'
print-fuzz-var: ; @echo $($(FUZZ_VAR))
EOF
}
lib_src=$(make_var LIB_SRC)
libs=$(make_var LIBS)

# The compiled-in schemas, made the way the Makefile makes them.
for schema in sql/*/schema.sql; do
  driver=$(basename "$(dirname "$schema")")
  inc=$gen/${driver}_schema.inc
  if [ ! -f "$inc" ] || [ -n "$(find "$schema" -newer "$inc")" ]; then
    { printf 'R"SQL('; cat "$schema"; printf ')SQL"\n'; } > "$inc"
  fi
done
# And the built-in templates.
templates_inc=$gen/builtin_templates.inc
if [ ! -f "$templates_inc" ] || [ -n "$(find templates scripts/embed-templates.py -newer "$templates_inc")" ]; then
  python3 scripts/embed-templates.py templates > "$templates_inc"
fi

# pointer-overflow stays recoverable only so that ubsan.supp can silence a known RapidJSON
# report; halt_on_error makes every other report, of any check, end the run as a crash.
sanitize="-fsanitize=address,undefined -fno-sanitize-recover=undefined \
  -fsanitize-recover=pointer-overflow -fno-omit-frame-pointer"
UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:suppressions=$root/tests/fuzz/ubsan.supp"
export UBSAN_OPTIONS
cflags="-std=c++20 -g -O1 $sanitize -Isrc -I$gen"
export cxx cflags work gen
# Objects built with other flags are stale.
if [ "$(cat "$work/obj/flags" 2>/dev/null)" != "$cxx $cflags" ]; then
  rm -rf "$work/obj"
  mkdir -p "$work/obj"
  echo "$cxx $cflags" > "$work/obj/flags"
fi

# Library objects, instrumented for coverage; an object is rebuilt when its source or any
# header is newer.
echo "== compiling library objects"
# shellcheck disable=SC2016  # the inner script expands its own variables
for source in $lib_src; do
  echo "$source"
done | xargs -P "$jobs" -I{} sh -c '
  source={}
  object=$work/obj/${source%.cpp}.o
  if [ -f "$object" ] && [ -z "$(find "$source" -newer "$object")" ] &&
     [ -z "$(find src "$gen" \( -name "*.h" -o -name "*.inc" \) -newer "$object" | head -n 1)" ]; then
    exit 0
  fi
  mkdir -p "$(dirname "$object")"
  $cxx $cflags -fsanitize=fuzzer-no-link -c "$source" -o "$object"
'
archive=$work/libweave_fuzz.a
rm -f "$archive"
objects=""
for source in $lib_src; do
  objects="$objects $work/obj/${source%.cpp}.o"
done
# shellcheck disable=SC2086
ar rcs "$archive" $objects

if [ $# -gt 0 ]; then
  names="$*"
else
  names=$(for f in tests/fuzz/fuzz_*.cpp; do basename "$f" .cpp; done)
fi

failed=""
for name in $names; do
  echo "== $name: building"
  binary=$work/$name
  # shellcheck disable=SC2086
  $cxx $cflags -fsanitize=fuzzer "tests/fuzz/$name.cpp" "$archive" $libs -o "$binary"

  corpus=tests/fuzz/corpus/$name
  artifacts=$work/artifacts/$name
  rm -rf "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  dict=""
  [ -f "tests/fuzz/$name.dict" ] && dict="-dict=tests/fuzz/$name.dict"
  before=$(find "$corpus" -type f | wc -l)
  echo "== $name: fuzzing for ${seconds}s from $before inputs"
  status=0
  # shellcheck disable=SC2086
  "$binary" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" $dict ${FUZZ_FLAGS:-} "$corpus" > "$work/$name.log" 2>&1 ||
    status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 60 "$work/$name.log"
    for input in "$artifacts"/*; do
      [ -f "$input" ] || continue
      kind=$(basename "$input" | cut -d- -f1)
      hash=$(sha1sum "$input" | cut -c1-40)
      # crash-* and leak-* become regression inputs; slow or huge inputs stay in artifacts.
      case $kind in
        crash | leak | deadly) cp "$input" "$corpus/regression-$hash" ;;
      esac
      echo "$name: $kind input saved: $input"
    done
    failed="$failed $name"
  fi
  grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs|stat::number_of_executed_units)' "$work/$name.log" |
    tail -n 2 || true

  count=$(find "$corpus" -type f | wc -l)
  if [ "$count" -gt "$max_corpus" ]; then
    echo "== $name: $count inputs, merging"
    fresh=$work/merge/$name
    rm -rf "$fresh"
    mkdir -p "$fresh"
    # Seeds and regression inputs keep their names; hash-named inputs are re-selected.
    for input in "$corpus"/*; do
      base=$(basename "$input")
      if ! echo "$base" | grep -Eq '^[0-9a-f]{40}$'; then
        cp "$input" "$fresh/"
      fi
    done
    "$binary" -merge=1 -timeout=25 -rss_limit_mb=2560 "$fresh" "$corpus" > "$work/$name.merge.log" 2>&1
    rm -f "$corpus"/*
    cp "$fresh"/* "$corpus"/
  fi
  echo "== $name: $(find "$corpus" -type f | wc -l) inputs in $corpus"
done

if [ -n "$failed" ]; then
  echo "fuzzing found crashes in:$failed"
  exit 1
fi
echo "fuzzing: no crashes"
