#!/usr/bin/env bash
# Dry-run speed and memory: replay --dry-run (map, normalise and validate
# every field, de-duplicate, write the report) against Miller's CSV-to-JSON
# and a bare encoding/csv read of the same generated export.
#
#   bash bench/dryrun.sh [ROWS]        (default 1,000,000 rows, ~125 MB)
#
# Needs /usr/bin/time (Debian package "time") and mlr (package "miller");
# both are installed with apt-get when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${1:-1000000}"

need() { # need COMMAND PACKAGE
	if [ -x "$1" ] || command -v "$1" >/dev/null 2>&1; then return; fi
	if [ "$(id -u)" = 0 ]; then
		echo "installing $2 ..." >&2
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
	else
		echo "$1 is missing: apt-get install $2" >&2; exit 1
	fi
}
need /usr/bin/time time
need mlr miller

OUT="$(mktemp -d "${TMPDIR:-/tmp}/authgear-migrate-bench.XXXXXX")"
trap 'rm -rf "$OUT"' EXIT
echo "building into $OUT ..." >&2
go build -o "$OUT/authgear-migrate" .
go build -o "$OUT/csvread" ./bench/csvread
go build -o "$OUT/gen" ./bench/gen
"$OUT/gen" -rows "$ROWS" -out "$OUT/users.csv" -mapping "$OUT/users.mapping.yaml"
SIZE=$(stat -c %s "$OUT/users.csv")
echo "generated $ROWS rows, $((SIZE / 1000000)) MB" >&2

# measure NAME COMMAND...: runs once to warm the page cache, then measured.
RESULTS=()
measure() {
	local name="$1"; shift
	"$@" >/dev/null 2>&1 || true
	/usr/bin/time -v -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || {
		local rc=$?
		# replay exits 3 when records are invalid: still a measurement.
		if [ "$rc" != 3 ]; then echo "$name failed ($rc):" >&2; cat "$OUT/stderr.txt" >&2; fi
	}
	local wall rss user sys
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$OUT/time.txt")
	rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$OUT/time.txt")
	user=$(awk -F': ' '/User time/ {print $2}' "$OUT/time.txt")
	sys=$(awk -F': ' '/System time/ {print $2}' "$OUT/time.txt")
	RESULTS+=("$(printf '| %-36s | %10s | %8s | %8s | %9d |' "$name" "$wall" "$user" "$sys" "$((rss / 1024))")")
}

measure "authgear-migrate replay --dry-run" "$OUT/authgear-migrate" replay --mapping "$OUT/users.mapping.yaml" \
	--input "$OUT/users.csv" --dry-run --report "$OUT/users.report.csv"
measure "mlr --icsv --ojson cat" mlr --icsv --ojson cat "$OUT/users.csv"
measure "encoding/csv read (bench/csvread)" "$OUT/csvread" "$OUT/users.csv"

echo
echo "$ROWS rows, $((SIZE / 1000000)) MB CSV, $(nproc) cores, $(go version | awk '{print $3}'), mlr $(mlr --version | awk '{print $2}')"
echo
printf '| %-36s | %10s | %8s | %8s | %9s |\n' "command" "wall" "user s" "sys s" "peak RSS MB"
printf '|%s|%s|%s|%s|%s|\n' "--------------------------------------" "------------" "----------" "----------" "-----------"
printf '%s\n' "${RESULTS[@]}"
