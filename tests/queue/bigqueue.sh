#!/bin/sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# bigqueue.sh - how sched copes with a big queue at a restart: build a
# queue of COUNT messages (default 100,000) with tests/queue/mkqueue.py
# (straight into mess/ and env/, in qpost-queue(5)'s format), every one
# a retry that is due now, to DOMAINS remote domains that cannot be
# reached (a closed port); start the instance on it, inject one new
# message for a local mailbox as soon as sched says it is ready, and
# report:
#
#	build		seconds to write the queue
#	ready		seconds from start to "sched: ready"
#	first_new	seconds from start until the new message is in
#			the mailbox, and from its injection
#	loaded		sched's own time to load every env file
#	backoff		seconds from start until every dead domain is
#			backed off
#	rss		sched's resident memory (VmRSS) when the new
#			message arrived, once loaded, and at the end;
#			peak (VmHWM)
#	settled		at the end (5 s after the backoffs): memory, the
#			CPU time sched used, and how many remote
#			deliveries it started
#
# A benchmark, not a test: it asserts nothing, and prints one
# "key=value" line per figure.  Runs as an ordinary user (sched refuses
# root): as root, run it as one, e.g. runuser -u qptest -- sh bigqueue.sh.
#
# usage: bigqueue.sh [-n COUNT] [-D DOMAINS] [-d DIR] [-l LIBEXEC] [-k] [-r]
#	-d DIR	 the instance's folder (default: a new one under /tmp);
#		 removed at the end unless -k
#	-r	 reuse the instance a run with -k left in DIR (its queue
#		 as that run left it): so the page cache can be dropped
#		 (as root: echo 3 > /proc/sys/vm/drop_caches) between
#		 building and starting, for a cold start
#	-l	 the programs to run (default: this tree's build/libexec),
#		 so another build can be measured the same way

set -u

TOP=$(cd "$(dirname "$0")/../.." && pwd -P)
COUNT=100000
DOMAINS=100
DIR=
KEEP=0
REUSE=0
LIBEXEC=$TOP/build/libexec

while getopts n:D:d:l:krh opt; do
	case $opt in
	n)	COUNT=$OPTARG ;;
	D)	DOMAINS=$OPTARG ;;
	d)	DIR=$OPTARG ;;
	l)	LIBEXEC=$OPTARG ;;
	k)	KEEP=1 ;;
	r)	REUSE=1 ;;
	h)	sed -n '/^# usage/,/^$/p' "$0"; exit 0 ;;
	*)	echo "usage: bigqueue.sh [-n COUNT] [-D DOMAINS] [-d DIR]" \
		    "[-l LIBEXEC] [-k] [-r]" >&2; exit 100 ;;
	esac
done
[ "$(id -u)" -ne 0 ] || {
	echo "bigqueue.sh: run as an ordinary user: sched refuses root" >&2
	exit 100
}
[ -x "$LIBEXEC/qpost-start" ] || {
	echo "bigqueue.sh: $LIBEXEC is not built: run make" >&2
	exit 111
}
[ -n "$DIR" ] || DIR=$(mktemp -d /tmp/qpost-bigqueue.XXXXXX) || exit 111

QPOST_CONTROL=$DIR/control
QPOST_QUEUE=$DIR/queue
QPOST_LIBEXEC=$LIBEXEC
export QPOST_CONTROL QPOST_QUEUE QPOST_LIBEXEC

# now - seconds since boot (a clock that does not jump), 10 ms steps
now() {
	cut -d ' ' -f 1 /proc/uptime
}

# since T - seconds from T to now, to the millisecond.
since() {
	echo "$(now) $1" | awk '{ printf "%.3f", $1 - $2 }'
}

# rss FIELD - sched's VmRSS or VmHWM in MiB.
rss() {
	awk -v f="$1:" '$1 == f { printf "%.1f", $2 / 1024 }' \
	    "/proc/$PID/status" 2>/dev/null
}

# cpu - sched's CPU time so far (user + system), in seconds.
cpu() {
	sed 's/.*) //' "/proc/$PID/stat" 2>/dev/null |
	    awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($12 + $13) / hz }'
}

# wait_until SECONDS COMMAND... - poll every 20 ms; 1 on the deadline.
wait_until() {
	_n=$(($1 * 50))
	shift
	while ! "$@"; do
		[ "$_n" -gt 0 ] || return 1
		_n=$((_n - 1))
		sleep 0.02
	done
}

stop() {
	if [ -n "${PID:-}" ] && kill -0 "$PID" 2>/dev/null; then
		kill -TERM "$PID"
		wait_until 30 sh -c "! kill -0 $PID 2>/dev/null"
	fi
	[ "$KEEP" -eq 1 ] || rm -rf "$DIR"
}
trap stop EXIT
trap 'exit 111' INT TERM

if [ "$REUSE" -eq 1 ]; then
	[ -d "$QPOST_QUEUE/env" ] || {
		echo "bigqueue.sh: -r: no queue in $DIR" >&2
		exit 100
	}
	rm -rf "$DIR/home/alice/Maildir"
	echo "count=$(ls "$QPOST_QUEUE/env" | wc -l) reused dir=$DIR" \
	    "libexec=$LIBEXEC"
else
mkdir -p "$QPOST_CONTROL" "$DIR/home/alice" "$QPOST_QUEUE" || exit 111
echo example.test > "$QPOST_CONTROL/me"
echo example.test > "$QPOST_CONTROL/locals"
echo ":127.0.0.1:1" > "$QPOST_CONTROL/smtproutes"
echo "alice:$(id -u):$(id -g):$DIR/home/alice" > "$QPOST_CONTROL/users"
"$LIBEXEC/qcdb" users >/dev/null || exit 111
(
	cd "$QPOST_QUEUE" && mkdir drop mess env tmp &&
	chmod 1777 drop && chmod 0700 mess env tmp && mkfifo -m 0622 trigger
) || exit 111

echo "count=$COUNT domains=$DOMAINS dir=$DIR libexec=$LIBEXEC"
t=$(now)
/usr/bin/python3 "$TOP/tests/queue/mkqueue.py" --queue "$QPOST_QUEUE" \
    --count "$COUNT" --domains "$DOMAINS" --rcpt 'u{n}@dead{d}.test' \
    --tries 1 --next -1 >/dev/null || exit 111
echo "build seconds=$(since "$t")"
sync
fi

LOG=$DIR/log
: > "$LOG"
printf 'Subject: new mail\n\nnew mail during a big restart\n' > "$DIR/new"
t0=$(now)
"$LIBEXEC/qpost-start" </dev/null >>"$LOG" 2>&1 &
PID=$!
wait_until 600 grep -q 'sched: ready' "$LOG" || {
	echo "no 'sched: ready' after 600 s" >&2
	exit 111
}
echo "ready seconds=$(since "$t0")"
ti=$(now)
"$LIBEXEC/qinject" alice@example.test < "$DIR/new" || exit 111
has_mail() {
	[ -n "$(ls "$DIR/home/alice/Maildir/new" 2>/dev/null)" ]
}
wait_until 600 has_mail || {
	echo "the new message was not delivered in 600 s" >&2
	exit 111
}
echo "first_new seconds_from_start=$(since "$t0")" \
    "seconds_from_injection=$(since "$ti") rss_mib=$(rss VmRSS)"
# (a build that loads before it is ready says "ready queued=N")
loaded() {
	grep -q -e 'sched: loaded' -e 'sched: ready queued=[1-9]' "$LOG"
}
wait_until 600 loaded || {
	echo "not loaded after 600 s" >&2
	exit 111
}
echo "loaded $(sed -n 's/.*sched: \(loaded .*\)/\1/p' "$LOG" | head -1)" \
    "seconds_from_start=$(since "$t0") rss_mib=$(rss VmRSS)"
all_backoff() {
	[ "$(grep -c 'state=backoff failures=1 ' "$LOG")" -ge "$DOMAINS" ]
}
# (a build without domain backoff never logs it: give up after 60 s;
# every half second, as the log may be big)
_n=120
while ! all_backoff && [ "$_n" -gt 0 ]; do
	sleep 0.5
	_n=$((_n - 1))
done
if all_backoff; then
	echo "backoff domains=$DOMAINS seconds_from_start=$(since "$t0")"
else
	echo "backoff domains=$(grep -c 'state=backoff failures=1 ' "$LOG")" \
	    "of $DOMAINS after 60 s"
fi
# let the due timers all fire: each backed-off domain holds its line
sleep 5
echo "settled seconds_from_start=$(since "$t0") rss_mib=$(rss VmRSS)" \
    "peak_rss_mib=$(rss VmHWM) cpu_seconds=$(cpu)" \
    "remote_starts=$(grep -c 'via=remote' "$LOG")"
