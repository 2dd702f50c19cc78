#!/usr/bin/env bash
# Peak memory of a live import as the input grows: replay --sandbox (client
# and in-process sandbox together), and the client alone, importing into a
# standalone sandbox process (whose own peak is shown too: it keeps every
# user it stored, so it grows with the input by design).
#
#   bash bench/import.sh [ROWS...]     (default: 100000 1000000)
#
# CLIENT_ONLY=1 skips replay --sandbox (minutes and gigabytes at 1,000,000
# rows). GOMEMLIMIT=off measures without the soft memory limit that replay
# sets for a client-only import (it sets none with an in-process sandbox).
#
# Needs /usr/bin/time (Debian package "time"), installed when missing and root.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)

if [ ! -x /usr/bin/time ]; then
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
	else
		echo "/usr/bin/time is missing: apt-get install time" >&2; exit 1
	fi
fi

OUT="$(mktemp -d "${TMPDIR:-/tmp}/authgear-migrate-bench.XXXXXX")"
SB_PID=""
cleanup() { [ -n "$SB_PID" ] && kill "$SB_PID" 2>/dev/null; rm -rf "$OUT"; }
trap cleanup EXIT
go build -o "$OUT/authgear-migrate" .
go build -o "$OUT/gen" ./bench/gen
BIN="$OUT/authgear-migrate"

field() { awk -F': ' -v k="$1" '$0 ~ k {print $2}' "$2"; }
json() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p" "$2"; }

ROWS_OUT=()
for n in "${SIZES[@]}"; do
	"$OUT/gen" -rows "$n" -out "$OUT/users.csv" -mapping "$OUT/users.mapping.yaml"
	size=$(( $(stat -c %s "$OUT/users.csv") / 1000000 ))

	# 1. replay --sandbox: one process.
	rm -f "$OUT"/users.report.*
	if [ -n "${CLIENT_ONLY:-}" ]; then
		rss1=0 wall1=- ins1=-
	else
	/usr/bin/time -v -o "$OUT/t1.txt" "$BIN" replay --mapping "$OUT/users.mapping.yaml" --input "$OUT/users.csv" \
		--report "$OUT/users.report.csv" --sandbox --sandbox-login-ids email,phone --json >"$OUT/s1.json" 2>"$OUT/e1.txt" || {
		echo "replay --sandbox failed:" >&2; cat "$OUT/e1.txt" >&2; exit 1; }
	rss1=$(( $(field "Maximum resident set size" "$OUT/t1.txt") / 1024 ))
	wall1=$(field "Elapsed \\(wall clock\\)" "$OUT/t1.txt")
	ins1=$(json inserted "$OUT/s1.json")
	fi

	# 2. the client alone, against a standalone sandbox.
	rm -f "$OUT"/users.report.* "$OUT/key.pem"
	"$BIN" sandbox --listen 127.0.0.1:0 --project-id bench --key-id bench-key --key-file "$OUT/key.pem" \
		--login-ids email,phone >"$OUT/sb.txt" 2>/dev/null &
	SB_PID=$!
	for _ in $(seq 100); do grep -q AUTHGEAR_ENDPOINT "$OUT/sb.txt" 2>/dev/null && break; sleep 0.1; done
	url=$(sed -n 's/^export AUTHGEAR_ENDPOINT=//p' "$OUT/sb.txt")
	/usr/bin/time -v -o "$OUT/t2.txt" "$BIN" replay --mapping "$OUT/users.mapping.yaml" --input "$OUT/users.csv" \
		--report "$OUT/users.report.csv" --endpoint "$url" --project-id bench --key-id bench-key --key-file "$OUT/key.pem" \
		--json >"$OUT/s2.json" 2>"$OUT/e2.txt" || { echo "replay --endpoint failed:" >&2; cat "$OUT/e2.txt" >&2; exit 1; }
	sbrss=$(( $(awk '/VmHWM/ {print $2}' "/proc/$SB_PID/status") / 1024 ))
	kill "$SB_PID"; wait "$SB_PID" 2>/dev/null || true; SB_PID=""
	rss2=$(( $(field "Maximum resident set size" "$OUT/t2.txt") / 1024 ))
	wall2=$(field "Elapsed \\(wall clock\\)" "$OUT/t2.txt")
	ins2=$(json inserted "$OUT/s2.json")
	ROWS_OUT+=("$(printf '| %9d | %5d | %8s | %10s | %8d | %10s | %8d | %12d |' "$n" "$size" "$ins1" "$wall1" "$rss1" "$wall2" "$rss2" "$sbrss")")
done

echo
echo "$(nproc) cores, $(go version | awk '{print $3}'); sandbox rate unthrottled (--sandbox-rate 0); GOMEMLIMIT=${GOMEMLIMIT:-unset}"
echo
echo "|           |       | replay --sandbox (one process)  | replay --endpoint (client only) | standalone  |"
printf '| %9s | %5s | %8s | %10s | %8s | %10s | %8s | %12s |\n' rows MB inserted wall "RSS MB" wall "RSS MB" "sandbox MB"
echo "|-----------|-------|----------|------------|----------|------------|----------|--------------|"
printf '%s\n' "${ROWS_OUT[@]}"
