#!/bin/sh
# Starts nginx in the foreground on $HOST:$PORT (default 127.0.0.1:3000), in
# front of the tiny upstream on 127.0.0.1:$UPSTREAM_PORT (default 3001).
set -eu
cd "$(dirname "$0")"
mkdir -p tmp
sed -e "s/@HOST@/${HOST:-127.0.0.1}/g" \
    -e "s/@PORT@/${PORT:-3000}/g" \
    -e "s/@UPSTREAM_PORT@/${UPSTREAM_PORT:-3001}/g" \
    nginx.conf.template > nginx.conf
exec nginx -p "$PWD/" -c "$PWD/nginx.conf" -e stderr
