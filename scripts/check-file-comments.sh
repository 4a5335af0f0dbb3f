#!/bin/sh
# Checks that every C++ file (.h, .cpp) under src/, tests/ and bench/ starts with a
# one-line "// purpose" comment: its first line is "// " followed by some text.
# Usage: scripts/check-file-comments.sh   (from anywhere; prints each file that does not)
set -eu
cd "$(dirname "$0")/.."
bad=0
total=0
for file in $(find src tests bench \( -name node_modules -prune \) -o \
  \( -name '*.h' -o -name '*.cpp' \) -type f -print | sort); do
  total=$((total + 1))
  first=$(head -n 1 "$file")
  case $first in
    "// "[!\ ]??*) ;;
    *)
      echo "$file:1: the first line is not a one-line // purpose comment: $first"
      bad=$((bad + 1))
      ;;
  esac
done
if [ "$bad" -ne 0 ]; then
  echo "check-file-comments: $bad of $total files lack the purpose comment"
  exit 1
fi
echo "check-file-comments: all $total files start with a purpose comment"
