#!/bin/sh
# Prints a self-contained nginx.conf that serves the API on 127.0.0.1:PORT from a
# prefix folder, for make run, the tests and the benchmark.
# Usage: nginx-conf.sh PREFIX PORT UPSTREAM ROOT  (UPSTREAM: unix:/path or host:port)
set -eu
prefix=$1 port=$2 upstream=$3 root=$4
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
  upstream weave {
    server $upstream;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      fastcgi_pass weave;
      include $root/conf/nginx/fastcgi_weave.conf;
    }
  }
}
CONF
