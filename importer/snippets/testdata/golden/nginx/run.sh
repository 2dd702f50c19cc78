#!/bin/sh
# Starts nginx in the foreground on $HOST:$PORT (default 127.0.0.1:3000), in
# front of the tiny upstream on 127.0.0.1:$UPSTREAM_PORT (default 3001).
# Authgear's TLS certificate is checked against $AUTHGEAR_CA_FILE (default
# /etc/ssl/certs/ca-certificates.crt, Debian's and Ubuntu's bundle; on
# RHEL /etc/pki/tls/certs/ca-bundle.crt, on Alpine /etc/ssl/cert.pem).
set -eu
cd "$(dirname "$0")"
ca="${AUTHGEAR_CA_FILE:-/etc/ssl/certs/ca-certificates.crt}"
if [ ! -r "$ca" ]; then
    echo "run.sh: no trusted certificates at $ca: set AUTHGEAR_CA_FILE to the system's CA bundle" >&2
    exit 1
fi
case "$ca" in
*[!A-Za-z0-9_./-]*) echo "run.sh: AUTHGEAR_CA_FILE must be a plain path" >&2; exit 1 ;;
esac
mkdir -p tmp
sed -e "s/@HOST@/${HOST:-127.0.0.1}/g" \
    -e "s/@PORT@/${PORT:-3000}/g" \
    -e "s/@UPSTREAM_PORT@/${UPSTREAM_PORT:-3001}/g" \
    -e "s|@TRUSTED_CA@|$ca|g" \
    nginx.conf.template > nginx.conf
exec nginx -p "$PWD/" -c "$PWD/nginx.conf" -e stderr
