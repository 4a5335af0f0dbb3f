#!/bin/sh
# Prints a self-contained nginx.conf for one or several weave-servers behind one nginx (make
# run, the tests, the benchmark; many storage nodes: make run NODES=2, bench/move_soak.py):
# one site per line of standard input,
#   PORT LOCATION UPSTREAM [NAME]
# e.g. "8080 / unix:/tmp/reg.sock" and "8081 /node1/ unix:/tmp/node1.sock" (UPSTREAM:
# unix:/path or host:port). Lines with the same PORT share one server block, so several
# servers can sit under paths of one port. With NAME the site passes to an upstream block of
# that name (one server, UPSTREAM), which configuration added later can use too; without,
# the upstream block is named after the line.
# nginx opens a connection per request, as conf/nginx/weave.conf does; KEEP_CONN=1 in the
# environment keeps them open between requests instead (an upstream keepalive pool and
# fastcgi_keep_conn: the README's "Kept connections").
# Usage: nginx-sites-conf.sh PREFIX ROOT < sites
set -eu
prefix=$1 root=$2
keep_conn=${KEEP_CONN:-0}
mkdir -p "$prefix/logs" "$prefix/tmp"
cat <<CONF
worker_processes 1;
pid $prefix/nginx.pid;
error_log $prefix/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $prefix/tmp/body;
  fastcgi_temp_path $prefix/tmp/fastcgi;
  proxy_temp_path $prefix/tmp/proxy;
  uwsgi_temp_path $prefix/tmp/uwsgi;
  scgi_temp_path $prefix/tmp/scgi;
CONF
sort -k1,1n -s | awk -v root="$root" -v keep="$keep_conn" '
  { sites[NR] = $0; upstream[NR] = $4 != "" ? $4 : "site" NR }
  !(upstream[NR] in named) {
    named[upstream[NR]] = 1
    print "  upstream " upstream[NR] " {"
    print "    server " $3 ";"
    if (keep == 1) {
      print "    keepalive 32;"
      print "    keepalive_timeout 10s;"
    }
    print "  }"
  }
  END {
    for (i = 1; i <= NR; i++) {
      split(sites[i], site, " ")
      if (site[1] != port) {
        if (port != "") print "  }"
        port = site[1]
        print "  server {"
        print "    listen 127.0.0.1:" port ";"
      }
      print "    location " site[2] " {"
      print "      fastcgi_pass " upstream[i] ";"
      print "      include " root "/conf/nginx/fastcgi_weave.conf;"
      if (keep == 1) print "      fastcgi_keep_conn on;"
      print "    }"
    }
    if (port != "") print "  }"
  }'
echo "}"
