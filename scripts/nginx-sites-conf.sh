#!/bin/sh
# Prints a self-contained nginx.conf for several weave-servers behind one nginx (many
# storage nodes: make run NODES=2, bench/move_soak.py): one site per line of standard input,
#   PORT LOCATION UPSTREAM
# e.g. "8080 / unix:/tmp/reg.sock" and "8081 /node1/ unix:/tmp/node1.sock". Lines with the
# same PORT share one server block, so several servers can sit under paths of one port.
# Usage: nginx-sites-conf.sh PREFIX ROOT < sites
set -eu
prefix=$1 root=$2
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
sort -k1,1n -s | awk -v root="$root" '
  $1 != port {
    if (port != "") print "  }"
    port = $1
    print "  server {"
    print "    listen 127.0.0.1:" port ";"
  }
  {
    print "    location " $2 " {"
    print "      fastcgi_pass " $3 ";"
    print "      include " root "/conf/nginx/fastcgi_weave.conf;"
    print "    }"
  }
  END { if (port != "") print "  }" }'
echo "}"
