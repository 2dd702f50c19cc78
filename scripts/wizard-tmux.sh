#!/usr/bin/env bash
# Drives the real wizard in tmux through its five steps, at 80x24 and
# 120x40, by pressing Enter (and j/k on the map step, n on the preview,
# ←/→ on the middleware step), and checks what it did.
#
#   scripts/wizard-tmux.sh [-i] [-o OUT] [-p PASSWORDS] [FIXTURE]
#
#   FIXTURE  the export to load (default examples/users.csv; a path is read
#            from the current folder, then from the repository's root, so
#            testdata/fixtures/clerk-export.csv works from either)
#   -i       start with --input FIXTURE (default: no arguments; the load
#            step offers the one export of the folder and Enter opens it)
#   -o OUT   where the screens go (default: a new folder under $TMPDIR)
#   -p PASSWORDS  a password export copied beside the fixture and joined
#            on the load step (ctrl+p, Enter on the file it offers); implies
#            -i. An Auth0 export:
#              scripts/wizard-tmux.sh -p testdata/fixtures/auth0-password-hashes.ndjson \
#                testdata/fixtures/auth0-users.ndjson
#            checks too that the mapping joins it and the preview counts
#            bcrypt passwords.
#
# Environment: SIZES (default "80x24 120x40"), TIMEOUT seconds a screen may
# take to appear (default 30), POLL seconds between captures (default 0.1).
# SIGNIN_SIZES (default "80x24"; "" skips it): at those sizes, after the
# rehearsal, s signs in as the login ID the Done screen suggests (the
# report's first imported user) with SIGNIN_PASSWORD (default, for the
# example: the clear text behind its first bcrypt hash, from
# testdata/fixtures/passwords.json), and the screen must say that the user
# signs in; then esc closes the result. With SIGNIN_LOGIN too (default,
# for the example: ada.lovelace@example.com), the canary signs in first:
# ctrl+s on the confirmation, that login ID and the password, and the
# Done screen must say that the canary's user signed in.
#
# For each size it builds nothing twice: the binary is built once, then
# started in a detached tmux session (a private tmux server, so no other
# session is touched) in a fresh temporary folder holding a copy of the
# fixture. Every screen is awaited by polling `tmux capture-pane` for a
# marker and saved as OUT/<size>-<nn>-<step>.txt. On the preview the window
# is resized to the other size and back, and the screen captured after
# each. After the wizard exits, the pane (the normal screen, where the
# summary is printed) is saved as OUT/<size>-99-stdout.txt.
#
# Then, per size of STOP_SIZES (default "80x24 200x60"; "" skips it), a
# stop, a back-to-map and a resume against a standalone sandbox posing as
# a real project (`authgear-migrate sandbox`, 50 records a second): 1,000
# users are imported, ctrl+c asks and y stops; esc goes back to Map; the
# same import again says the journal continues it, and it ends with every
# record inserted once (exit 0). Its screens are OUT/<size>-stop-<nn>-*.txt.
#
# Checks, per size: exit status (replay's: 3 when records were invalid); the mapping, report and retry files in
# the folder; one report line per input record, each record once; the
# summary on stdout; every screen with the step header on its first line
# and the help line on its last. Lines exactly as wide as the window that
# do not end in "…" are counted as "cut" (a hint of text cut by the frame,
# not a failure). Exits 1 when any check fails.
set -uo pipefail
export LC_ALL=C.UTF-8

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WITH_INPUT=0
OUT=""
PASSWORDS=""
while getopts "io:p:h" opt; do
	case "$opt" in
	i) WITH_INPUT=1 ;;
	o) OUT="$OPTARG" ;;
	p) PASSWORDS="$OPTARG" WITH_INPUT=1 ;;
	*) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
FIXTURE="${1:-examples/users.csv}"
if [ -f "$FIXTURE" ]; then
	FIXTURE="$(cd "$(dirname "$FIXTURE")" && pwd)/$(basename "$FIXTURE")"
elif [ -f "$ROOT/$FIXTURE" ]; then
	FIXTURE="$(cd "$(dirname "$ROOT/$FIXTURE")" && pwd)/$(basename "$FIXTURE")"
else
	echo "wizard-tmux: $FIXTURE: no such file" >&2
	exit 2
fi
NAME="$(basename "$FIXTURE")"
STEM="${NAME%.*}"
if [ -n "$PASSWORDS" ]; then
	if [ -f "$PASSWORDS" ]; then
		PASSWORDS="$(cd "$(dirname "$PASSWORDS")" && pwd)/$(basename "$PASSWORDS")"
	elif [ -f "$ROOT/$PASSWORDS" ]; then
		PASSWORDS="$(cd "$(dirname "$ROOT/$PASSWORDS")" && pwd)/$(basename "$PASSWORDS")"
	else
		echo "wizard-tmux: $PASSWORDS: no such file" >&2
		exit 2
	fi
	PWNAME="$(basename "$PASSWORDS")"
fi
SIZES="${SIZES:-80x24 120x40}"
SIGNIN_SIZES="${SIGNIN_SIZES-80x24}"
if [ -z "${SIGNIN_PASSWORD+x}" ]; then
	SIGNIN_PASSWORD="" SIGNIN_LOGIN="${SIGNIN_LOGIN-}"
	if [ "$FIXTURE" = "$ROOT/examples/users.csv" ]; then
		SIGNIN_PASSWORD="correct horse battery staple" SIGNIN_LOGIN="${SIGNIN_LOGIN:-ada.lovelace@example.com}"
	fi
fi
SIGNIN_LOGIN="${SIGNIN_LOGIN-}"
TIMEOUT="${TIMEOUT:-30}"
POLL="${POLL:-0.1}"

if ! command -v tmux >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ]; then
		echo "installing tmux ..." >&2
		apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null || exit 2
	else
		echo "wizard-tmux: tmux is missing: apt-get install tmux" >&2
		exit 2
	fi
fi

RUN="$(mktemp -d "${TMPDIR:-/tmp}/wizard-tmux-run.XXXXXX")"
[ -n "$OUT" ] || OUT="$(mktemp -d "${TMPDIR:-/tmp}/wizard-tmux-out.XXXXXX")"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SOCK="wizard-tmux-$$"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
cleanup() {
	tm kill-server >/dev/null 2>&1
	rm -rf "$RUN"
}
trap cleanup EXIT

echo "building ..." >&2
(cd "$ROOT" && go build -o "$RUN/authgear-migrate" .) || exit 2
BIN="$RUN/authgear-migrate"

now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }

FAILED=0
ROWS=()   # the screens' table
CHECKS=() # the checks' table

# capture: the visible pane into $SCREEN.
capture() { SCREEN="$(tm capture-pane -p -t "$S" 2>/dev/null)" || SCREEN=""; }

# matches_all REGEX...: every regex matches some line of $SCREEN.
matches_all() {
	local re
	for re in "$@"; do
		grep -Eq -- "$re" <<<"$SCREEN" || return 1
	done
}

# wait_for REGEX...: polls the pane until every regex matches a line, or
# TIMEOUT, then until two captures in a row agree (a frame half drawn is
# not taken; a screen that keeps moving, like a progress bar, is taken
# after a second); WAITED is the milliseconds it took.
wait_for() {
	local start deadline
	start=$(now_ms)
	deadline=$((start + TIMEOUT * 1000))
	while :; do
		capture
		if matches_all "$@"; then
			settle
			WAITED=$(($(now_ms) - start))
			return 0
		fi
		if [ "$(now_ms)" -gt "$deadline" ]; then
			WAITED=$(($(now_ms) - start))
			return 1
		fi
		sleep "$POLL"
	done
}

# settle: recaptures until the screen is still (at most a second).
settle() {
	local prev i
	for i in $(seq 10); do
		prev="$SCREEN"
		sleep "$POLL"
		capture
		[ "$SCREEN" = "$prev" ] && return 0
	done
}

# press KEY REGEX: sends one key and waits for its effect (not saved).
press() {
	tm send-keys -t "$S" "$1"
	wait_for "$2"
}

# frame_ok W H: $SCREEN is a whole frame of that size: the step header on
# the first line, the help line the last line written, on one of the last
# two rows (the frame leaves the bottom row empty). HELP_ROW is its row.
HEADER_RE='(1 Load|[1-5]/5 )'
HELP_RE='^(enter|esc|ctrl\+c|y|s|\?) [a-z?]'
frame_ok() {
	local first last
	first="$(sed -n 1p <<<"$SCREEN")"
	HELP_ROW="$(grep -n . <<<"$SCREEN" | tail -1 | cut -d: -f1)"
	last="$(sed -n "${HELP_ROW:-0}p" <<<"$SCREEN")"
	[[ "$first" =~ $HEADER_RE ]] && [[ "$last" =~ $HELP_RE ]] && [ "${HELP_ROW:-0}" -ge $(($2 - 1)) ]
}

# cut_lines W: the lines of $SCREEN exactly W wide that do not end in "…".
cut_lines() {
	local n=0 line
	while IFS= read -r line; do
		if [ "${#line}" -ge "$1" ] && [ "${line: -1}" != "…" ]; then n=$((n + 1)); fi
	done <<<"$SCREEN"
	echo "$n"
}

# shot NN STEP W H REGEX...: waits for the markers, saves the screen and
# adds a row to the table. Returns 1 when the screen never came.
shot() {
	local nn="$1" step="$2" w="$3" h="$4"
	shift 4
	local ok=yes frame=yes file="$OUT/$SIZE-$nn-$step.txt"
	if ! wait_for "$@"; then
		ok=TIMEOUT
		FAILED=1
	fi
	printf '%s\n' "$SCREEN" >"$file"
	if frame_ok "$w" "$h"; then
		frame="row $HELP_ROW"
	else
		frame="NO($HELP_ROW)"
		FAILED=1
	fi
	ROWS+=("$(printf '%-7s %-27s %-7s %6s %-8s %4s' "$SIZE" "$nn-$step" "$ok" "$WAITED" "$frame" "$(cut_lines "$w")")")
	[ "$ok" = yes ]
}

# check SIZE WHAT RESULT OK
check() {
	CHECKS+=("$(printf '%-7s %-44s %-6s %s' "$1" "$2" "$([ "$4" = 1 ] && echo ok || echo FAIL)" "$3")")
	[ "$4" = 1 ] || FAILED=1
}

# walk: the five steps at $SIZE ($W x $H) in session $S; returns early
# (1) when a screen never comes.
walk() {
	local big_w big_h
	# 1 Load
	if [ "$WITH_INPUT" = 0 ]; then
		shot 00 load-path "$W" "$H" 'Load an export' "export file: $NAME" || return 1
		tm send-keys -t "$S" Enter
	fi
	shot 01 load "$W" "$H" 'Load an export' '[0-9,]+ records?' 'accept & map' || return 1
	LOAD_COUNT="$(grep -Eo '[0-9,]+ records?' <<<"$SCREEN" | head -1 | tr -d , | grep -Eo '[0-9]+')"
	if [ -n "$PASSWORDS" ]; then
		# The password export: ctrl+p offers the file beside the input.
		tm send-keys -t "$S" C-p
		shot 01a load-passwords "$W" "$H" 'Load an export' "password export: $PWNAME" || return 1
		tm send-keys -t "$S" Enter
		shot 01b load-joined "$W" "$H" 'Load an export' "passwords: joined from $PWNAME" 'accept & map' || return 1
		# The secrets are masked; m shows them, m again hides them.
		tm send-keys -t "$S" m
		shot 01c load-unmasked "$W" "$H" 'Load an export' 'accept & map' || return 1
		tm send-keys -t "$S" m
		wait_for 'accept & map'
	fi
	tm send-keys -t "$S" Enter
	# 2 Map: j down to the first field, k back to the last setting.
	shot 02 map "$W" "$H" 'Map the columns' '(sample records? valid|^›)' '^› identifier' || return 1
	if grep -q 'n reads them' <<<"$SCREEN"; then
		# The notes on the export, and back.
		tm send-keys -t "$S" n
		shot 02a map-notes "$W" "$H" 'notes? on this export' 'back to the map' || return 1
		tm send-keys -t "$S" n
		wait_for '^› identifier'
	fi
	# One key at a time: keys sent in one write reach bubbletea as one
	# KeyMsg ("jj"), which no binding matches.
	press j '^› upsert' || return 1
	press j '^› other password hashes' || return 1
	press j '^› clear-text passwords' || return 1
	press j '^› phone default region' || return 1
	press j '^› unreadable phones' || return 1
	tm send-keys -t "$S" j
	shot 03 map-j "$W" "$H" 'Map the columns' '^› [a-z_.]+ +(←|—)' || return 1
	tm send-keys -t "$S" k
	shot 04 map-k "$W" "$H" 'Map the columns' '^› unreadable phones' || return 1
	tm send-keys -t "$S" Enter
	# 3 Preview: the whole file validated, then the next invalid record.
	shot 05 preview "$W" "$H" 'Preview: the JSON' '^[0-9,]+ records?: [0-9,]+ valid' || return 1
	PREVIEW_BCRYPT="$(grep -Eo 'passwords: [0-9,]+ bcrypt' <<<"$SCREEN" | head -1 | tr -d , | grep -Eo '[0-9]+')"
	if grep -Eq ', 0 invalid' <<<"$SCREEN"; then
		tm send-keys -t "$S" n
		shot 06 preview-n "$W" "$H" 'Preview: the JSON' '^record [0-9]+: valid' || return 1
	else
		tm send-keys -t "$S" n
		shot 06 preview-n "$W" "$H" 'Preview: the JSON' '^record [0-9]+: invalid' || return 1
	fi
	# The resize: to the other size, then back.
	if [ "$W" -le 80 ]; then big_w=120 big_h=40; else big_w=80 big_h=24; fi
	resized 07 "preview-resized-${big_w}x${big_h}" "$big_w" "$big_h" || return 1
	resized 08 preview-back "$W" "$H" || return 1
	tm send-keys -t "$S" Enter
	# 4 Import: the target, the confirmation, the run, its end.
	shot 09 import-target "$W" "$H" '^Target:' 'sandbox' || return 1
	tm send-keys -t "$S" Enter
	shot 10 import-confirm "$W" "$H" 'enter starts the rehearsal' || return 1
	local canary=0
	if [ -n "$SIGNIN_PASSWORD" ] && [ -n "$SIGNIN_LOGIN" ] && [[ " $SIGNIN_SIZES " == *" $SIZE "* ]]; then
		# The canary signs in: ctrl+s, the login ID, tab, the password.
		canary=1
		tm send-keys -t "$S" C-s
		shot 10a canary-form "$W" "$H" 'Sign in as one user during the canary' '^ *login ID' || return 1
		tm send-keys -t "$S" -l "$SIGNIN_LOGIN"
		tm send-keys -t "$S" Tab
		tm send-keys -t "$S" -l "$SIGNIN_PASSWORD"
		shot 10b canary-typed "$W" "$H" '^ *password +•+' || return 1
		tm send-keys -t "$S" Enter
		shot 10c canary-chosen "$W" "$H" 'The canary signs in as' 'enter starts the rehearsal' || return 1
	fi
	tm send-keys -t "$S" Enter
	shot 11 import-running "$W" "$H" '(of [0-9]+ records|[0-9]+%)' || return 1
	shot 12 import-done "$W" "$H" '^report: ' '100%' || return 1
	if [ "$canary" = 1 ]; then
		ok=0
		grep -q 'canary sign-in: ✓' <<<"$SCREEN" && ok=1
		check "$SIZE" "canary sign-in before the bulk" "$(grep -m1 'canary sign-in' <<<"$SCREEN")" $ok
	fi
	if [ -n "$SIGNIN_PASSWORD" ] && [[ " $SIGNIN_SIZES " == *" $SIZE "* ]]; then
		# Sign in as one of the users just imported: s, the password
		# typed (never on the screen), enter.
		tm send-keys -t "$S" s
		shot 12a signin-form "$W" "$H" 'Sign in as one of your users' '^ *login ID +[^ ]+@' '^ *password' || return 1
		tm send-keys -t "$S" -l "$SIGNIN_PASSWORD"
		shot 12b signin-typed "$W" "$H" '^ *password +•+' || return 1
		if grep -qF -- "$SIGNIN_PASSWORD" <<<"$SCREEN"; then
			check "$SIZE" "sign-in: the password is never on screen" "it was" 0
		fi
		for f in "$OUT/$SIZE"-1[02]*.txt; do
			if grep -qF -- "$SIGNIN_PASSWORD" "$f"; then
				check "$SIZE" "sign-in: the password is never on screen" "$(basename "$f")" 0
			fi
		done
		tm send-keys -t "$S" Enter
		# The panel's first line (the canary's own line, above, starts
		# with "canary sign-in:").
		local result='^(✓ [^0-9]|✗ |The password is right|Rate limited|The check could not)'
		shot 12c signin-result "$W" "$H" "$result" || return 1
		signed=0
		grep -Eq '^✓ [^0-9].* signs in with that password' <<<"$SCREEN" && grep -q 'last sign-in time now shows this check' <<<"$SCREEN" && signed=1
		check "$SIZE" "sign-in after the rehearsal" "$(grep -m1 -E "$result" <<<"$SCREEN")" $signed
		tm send-keys -t "$S" Escape
		wait_for '^report: ' 'enter middleware'
	fi
	tm send-keys -t "$S" Enter
	# 5 Middleware: the next stack and back.
	shot 13 middleware "$W" "$H" 'Protect your backend' '1 of [0-9]+ stacks' || return 1
	tm send-keys -t "$S" Right
	shot 14 middleware-right "$W" "$H" 'Protect your backend' '2 of [0-9]+ stacks' || return 1
	tm send-keys -t "$S" Left
	shot 15 middleware-left "$W" "$H" 'Protect your backend' '1 of [0-9]+ stacks' || return 1
	tm send-keys -t "$S" Enter
	return 0
}

# resized NN STEP W H: resizes the window, waits until the pane is W x H
# and holds a whole frame again (the wizard redrew at the new size), and
# saves the screen like shot.
resized() {
	local nn="$1" step="$2" w="$3" h="$4" start deadline ok=yes frame=yes
	tm resize-window -t "$S" -x "$w" -y "$h"
	start=$(now_ms)
	deadline=$((start + TIMEOUT * 1000))
	while :; do
		capture
		if [ "$(tm display -p -t "$S" '#{pane_width}x#{pane_height}')" = "${w}x$h" ] && frame_ok "$w" "$h"; then
			settle
			break
		fi
		if [ "$(now_ms)" -gt "$deadline" ]; then
			ok=TIMEOUT
			FAILED=1
			break
		fi
		sleep "$POLL"
	done
	WAITED=$(($(now_ms) - start))
	printf '%s\n' "$SCREEN" >"$OUT/$SIZE-$nn-$step.txt"
	if frame_ok "$w" "$h"; then
		frame="row $HELP_ROW"
	else
		frame="NO($HELP_ROW)"
		FAILED=1
	fi
	ROWS+=("$(printf '%-7s %-27s %-7s %6s %-8s %4s' "$SIZE" "$nn-$step" "$ok" "$WAITED" "$frame" "$(cut_lines "$w")")")
	[ "$ok" = yes ]
}

for SIZE in $SIZES; do
	W="${SIZE%x*}"
	H="${SIZE#*x}"
	S="wiz-$SIZE"
	WORK="$(mktemp -d "$RUN/work-$SIZE.XXXXXX")"
	cp "$FIXTURE" "$WORK/$NAME"
	[ -n "$PASSWORDS" ] && cp "$PASSWORDS" "$WORK/$PWNAME"
	PREVIEW_BCRYPT=""
	RC="$RUN/$SIZE.rc"
	args=""
	[ "$WITH_INPUT" = 1 ] && args="--input $(printf '%q' "$NAME")"
	# The wizard runs straight in the pane (so a resize reaches it); the
	# status is written when it exits and the pane kept for the scrollback.
	cmd="cd $(printf '%q' "$WORK") && env -u AUTHGEAR_ENDPOINT -u AUTHGEAR_ADMIN_KEY_ID -u AUTHGEAR_ADMIN_KEY_FILE -u AUTHGEAR_ADMIN_KEY -u AUTHGEAR_PROJECT_ID $(printf '%q' "$BIN") $args; echo \$? >$(printf '%q' "$RC"); echo '[wizard exited]'; exec sleep 86400"
	tm new-session -d -s "$S" -x "$W" -y "$H" "$cmd" || { check "$SIZE" "tmux session" "could not start" 0; continue; }
	tm set-option -t "$S" history-limit 5000 >/dev/null
	LOAD_COUNT=""
	walk_ok=1
	walk || walk_ok=0
	check "$SIZE" "all five steps walked" "$([ $walk_ok = 1 ] && echo "screens in $OUT" || echo "stopped at the last screen in the table")" $walk_ok

	# The exit: the status file, then the normal screen with the summary.
	start=$(now_ms)
	while [ ! -s "$RC" ] && [ $(($(now_ms) - start)) -lt $((TIMEOUT * 1000)) ]; do sleep "$POLL"; done
	rc="$(cat "$RC" 2>/dev/null || echo none)"
	SCREEN=""
	start=$(now_ms)
	while ! grep -q '^\[wizard exited\]' <<<"$SCREEN" && [ $(($(now_ms) - start)) -lt $((TIMEOUT * 1000)) ]; do
		SCREEN="$(tm capture-pane -p -t "$S" -S - 2>/dev/null)"
		sleep "$POLL"
	done
	printf '%s\n' "$SCREEN" >"$OUT/$SIZE-99-stdout.txt"
	sum_records="$(grep -E '^  records +[0-9]+' <<<"$SCREEN" | grep -Eo '[0-9]+' | head -1)"
	sum_ok=0
	grep -Eq '^  records +[0-9]+' <<<"$SCREEN" && grep -Eq '^  inserted +[0-9]+' <<<"$SCREEN" &&
		grep -Eq '^report: ' <<<"$SCREEN" && grep -Eq '^mapping: ' <<<"$SCREEN" && sum_ok=1
	check "$SIZE" "summary on stdout" "$(grep -E '^  (records|inserted|failed|invalid) ' <<<"$SCREEN" | tr -s ' ' | tr '\n' ';')" $sum_ok
	# replay's exit codes: 3 when records were invalid or failed.
	partial=0
	for n in $(grep -E '^  (failed|invalid) +[0-9]+$' <<<"$SCREEN" | grep -Eo '[0-9]+$'); do partial=$((partial + n)); done
	want_rc=0
	[ "$partial" -gt 0 ] && want_rc=3
	check "$SIZE" "exit status $want_rc (replay's)" "status $rc" "$([ "$rc" = "$want_rc" ] && echo 1 || echo 0)"

	# The files in the folder.
	mp="$WORK/$STEM.mapping.yaml"
	rep="$WORK/$STEM.report.csv"
	check "$SIZE" "mapping $STEM.mapping.yaml" "$([ -s "$mp" ] && echo "$(wc -l <"$mp") lines" || echo missing)" "$([ -s "$mp" ] && echo 1 || echo 0)"
	retry="$(ls "$WORK/$STEM".retry.* 2>/dev/null | head -1)"
	invalid_failed=0
	for n in $(grep -E '^  (failed|invalid) +[0-9]+$' <<<"$SCREEN" | grep -Eo '[0-9]+$'); do invalid_failed=$((invalid_failed + n)); done
	if [ -n "$retry" ]; then
		mode="$(stat -c %a "$retry")"
		check "$SIZE" "retry $(basename "$retry") (mode 0600)" "$(($(wc -l <"$retry") - 1)) records, mode $mode" "$([ "$mode" = 600 ] && echo 1 || echo 0)"
	else
		check "$SIZE" "retry file" "missing ($invalid_failed failed or invalid)" "$([ "${invalid_failed:-0}" = 0 ] && echo 1 || echo 0)"
	fi
	if [ -s "$rep" ]; then
		lines=$(($(wc -l <"$rep") - 1))
		dups="$(tail -n +2 "$rep" | cut -d, -f1 | sort | uniq -d | wc -l)"
		want="${sum_records:-?}"
		ok=0
		[ "$lines" = "$sum_records" ] && [ "$dups" = 0 ] && { [ -z "$LOAD_COUNT" ] || [ "$LOAD_COUNT" = "$lines" ]; } && ok=1
		check "$SIZE" "report: one line per record" "$lines lines, $dups rows twice; summary $want, load screen ${LOAD_COUNT:-?}" $ok
		cp "$rep" "$OUT/$SIZE-$STEM.report.csv"
	else
		check "$SIZE" "report $STEM.report.csv" missing 0
	fi
	[ -s "$mp" ] && cp "$mp" "$OUT/$SIZE-$STEM.mapping.yaml"
	if [ -n "$PASSWORDS" ]; then
		joined=0
		grep -q "file: $PWNAME" "$mp" 2>/dev/null && grep -q 'password.password_hash' "$mp" && [ "${PREVIEW_BCRYPT:-0}" -gt 0 ] && joined=1
		check "$SIZE" "password export joined" "mapping joins $PWNAME: $(grep -c "file: $PWNAME" "$mp" 2>/dev/null); preview: ${PREVIEW_BCRYPT:-?} bcrypt" $joined
	fi
	tm kill-session -t "$S" >/dev/null 2>&1
done

# stop_walk: at $SIZE, import 1,000 users into a standalone sandbox, stop
# with ctrl+c and y, go back to Map with esc, import again (the journal
# continues the run) and finish. Returns 1 when a screen never comes.
stop_walk() {
	local env="$1"
	shot stop-00 load-path "$W" "$H" 'Load an export' 'export file: users.csv' || return 1
	tm send-keys -t "$S" Enter
	shot stop-01 load "$W" "$H" 'Load an export' 'accept & map' || return 1
	tm send-keys -t "$S" Enter
	shot stop-02 map "$W" "$H" 'Map the columns' '^› identifier' || return 1
	tm send-keys -t "$S" Enter
	shot stop-03 preview "$W" "$H" 'Preview: the JSON' '^1,?000 records' || return 1
	tm send-keys -t "$S" Enter
	press Tab '^› an Authgear project' || return 1
	tm send-keys -t "$S" Enter
	shot stop-04 confirm "$W" "$H" 'This writes to a real project' 'type y or the project id' || return 1
	tm send-keys -t "$S" y
	tm send-keys -t "$S" Enter
	shot stop-05 running "$W" "$H" 'records settled' 'ctrl\+c stop safely' || return 1
	tm send-keys -t "$S" C-c
	shot stop-06 question "$W" "$H" 'Stop the import\?' 'y stop' || return 1
	tm send-keys -t "$S" y
	shot stop-07 stopped "$W" "$H" '(not sent|no outcome yet) [0-9,]+' '^report: ' 'esc back to Map' || return 1
	tm send-keys -t "$S" Escape
	shot stop-08 back-to-map "$W" "$H" 'Map the columns' || return 1
	tm send-keys -t "$S" Enter
	shot stop-09 preview-again "$W" "$H" 'Preview: the JSON' '^1,?000 records' || return 1
	tm send-keys -t "$S" Enter
	press Tab '^› an Authgear project' || return 1
	tm send-keys -t "$S" Enter
	shot stop-10 resume-confirm "$W" "$H" 'An unfinished import of this file' 'it is continued' || return 1
	tm send-keys -t "$S" y
	tm send-keys -t "$S" Enter
	shot stop-11 resumed "$W" "$H" '^report: ' 'inserted 1,000' || return 1
	tm send-keys -t "$S" Enter
	shot stop-12 middleware "$W" "$H" 'Protect your backend' 'the project imported into' || return 1
	tm send-keys -t "$S" Enter
	return 0
}

for SIZE in ${STOP_SIZES-80x24 200x60}; do
	W="${SIZE%x*}"
	H="${SIZE#*x}"
	S="stop-$SIZE"
	WORK="$(mktemp -d "$RUN/stop-$SIZE.XXXXXX")"
	awk 'BEGIN { print "Email,Mobile number"; for (i = 0; i < 1000; i++) printf "user%d@example.com,+44 7911 %06d\n", i, 100000 + i }' >"$WORK/users.csv"
	"$BIN" sandbox --listen 127.0.0.1:0 --project-id myapp --key-file "$WORK/sandbox-key.pem" --login-ids email,phone --rate 50 \
		>"$WORK/sandbox.out" 2>"$WORK/sandbox.err" &
	SB=$!
	start=$(now_ms)
	while ! grep -q AUTHGEAR_ADMIN_KEY_FILE "$WORK/sandbox.out" 2>/dev/null && [ $(($(now_ms) - start)) -lt $((TIMEOUT * 1000)) ]; do sleep "$POLL"; done
	env="$(grep '^export AUTHGEAR_' "$WORK/sandbox.out" | sed 's/^export //' | tr '\n' ' ')"
	RC="$RUN/stop-$SIZE.rc"
	cmd="cd $(printf '%q' "$WORK") && env -u AUTHGEAR_ADMIN_KEY $env $(printf '%q' "$BIN"); echo \$? >$(printf '%q' "$RC"); echo '[wizard exited]'; exec sleep 86400"
	tm new-session -d -s "$S" -x "$W" -y "$H" "$cmd" || { check "$SIZE" "tmux session (stop)" "could not start" 0; kill "$SB"; continue; }
	stop_ok=1
	stop_walk "$env" || stop_ok=0
	check "$SIZE" "stop, back to Map, resume" "$([ $stop_ok = 1 ] && echo "screens in $OUT" || echo "stopped at the last screen in the table")" $stop_ok
	start=$(now_ms)
	while [ ! -s "$RC" ] && [ $(($(now_ms) - start)) -lt $((TIMEOUT * 1000)) ]; do sleep "$POLL"; done
	rc="$(cat "$RC" 2>/dev/null || echo none)"
	check "$SIZE" "exit status 0 after the resume" "status $rc" "$([ "$rc" = 0 ] && echo 1 || echo 0)"
	SCREEN="$(tm capture-pane -p -t "$S" -S - 2>/dev/null)"
	printf '%s\n' "$SCREEN" >"$OUT/$SIZE-stop-99-stdout.txt"
	rep="$WORK/users.report.csv"
	if [ -s "$rep" ]; then
		lines=$(($(wc -l <"$rep") - 1))
		ins="$(tail -n +2 "$rep" | grep -c ',inserted,')"
		dups="$(tail -n +2 "$rep" | cut -d, -f1 | sort | uniq -d | wc -l)"
		check "$SIZE" "report after the resume: 1,000 inserted once" "$lines lines, $ins inserted, $dups rows twice" "$([ "$lines" = 1000 ] && [ "$ins" = 1000 ] && [ "$dups" = 0 ] && echo 1 || echo 0)"
		cp "$rep" "$OUT/$SIZE-stop-users.report.csv"
	else
		check "$SIZE" "report after the resume" missing 0
	fi
	tm kill-session -t "$S" >/dev/null 2>&1
	kill "$SB" 2>/dev/null
	wait "$SB" 2>/dev/null
done

echo
echo "fixture $NAME; screens in $OUT"
echo
printf '%-7s %-27s %-7s %6s %-8s %4s\n' size screen marker ms help cut
printf '%s\n' "${ROWS[@]}"
echo
printf '%-7s %-44s %-6s %s\n' size check result detail
printf '%s\n' "${CHECKS[@]}"
echo
if [ "$FAILED" = 0 ]; then
	echo "all checks passed"
else
	echo "some checks FAILED"
fi
exit "$FAILED"
