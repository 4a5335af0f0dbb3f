#!/bin/sh
# Prints a self-contained nginx.conf that serves the API on 127.0.0.1:PORT from a
# prefix folder, for make run, the tests and the benchmark: nginx-sites-conf.sh with one
# site, through an upstream named "weave" (which tests' extra server blocks use).
# Usage: nginx-conf.sh PREFIX PORT UPSTREAM ROOT  (UPSTREAM: unix:/path or host:port)
set -eu
prefix=$1 port=$2 upstream=$3 root=$4
echo "$port / $upstream weave" | sh "$(dirname "$0")/nginx-sites-conf.sh" "$prefix" "$root"
