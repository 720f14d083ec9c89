# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# lib.sh - shared helpers for the atf-sh scenario tests.  Sourced by each
# test program with
#
#	. "$(atf_get_srcdir)/../lib.sh"
#
# A scenario runs a private single-user instance in its own work
# directory: control files, queue and mailboxes all under one folder,
# every daemon started by qp_start with its PID recorded, and only those
# PIDs ever killed.  Every wait polls with a deadline (no bare sleeps),
# and a missed deadline fails the test case with the log attached.
#
# Convention: every test case that starts qpost has a cleanup part that
# stops it, since a failed check ends the body at once:
#
#	atf_test_case deliver cleanup
#	deliver_head() {
#		atf_set "require.user" "unprivileged"	# never as root
#		atf_set "timeout" "60"
#	}
#	deliver_body() {
#		qp_instance "$PWD/inst"
#		qp_start
#		qp_msg 1 > m
#		atf_check "$QPOST_LIBEXEC/qinject" alice@example.test < m
#		qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
#		qp_mail_body_equal "$QP_DIR"/home/alice/Maildir/new/* m ||
#		    atf_fail "delivered message differs"
#	}
#	deliver_cleanup() {
#		qp_stop
#	}
#
# The cleanup runs in a new shell (nothing the body exported is set),
# in the same work directory: qp_instance notes each instance folder in
# ./.qp_instances, and qp_stop with no argument stops all of them.
# Kyua SIGKILLs what is left of the test's process group when the body
# ends, daemons included, before the cleanup runs; so a body that wants
# the daemons to exit cleanly (a SANITIZE=1 build reports leaks at exit)
# ends with qp_stop itself, and then a sanitizer report in the log
# fails the test case.
#
# Single-user instances never run as root (lspawn would not drop to the
# mailbox owners, and local refuses root): give such test cases
# require.user "unprivileged"; tests/run.sh runs them as qptest.

# qp_top - the top of the source tree (tests/<folder>/../..).
qp_top() {
	(cd "$(atf_get_srcdir)/../.." && pwd -P)
}

# qp_fail MESSAGE [FILE] - fail the test case; the last lines of FILE
# (default: the instance's log) go to stderr, since kyua wants a
# one-line reason and calls a multi-line one broken.
qp_fail() {
	_qp_f=${2:-${QP_DIR:-.}/log}
	if [ -s "$_qp_f" ]; then
		echo "--- last lines of $_qp_f:" >&2
		tail -n 40 "$_qp_f" >&2
	fi
	atf_fail "$1"
}

# qp_deadline_loop SECONDS COMMAND... - run COMMAND every 0.1 s until it
# succeeds (return 0) or SECONDS pass (return 1).
qp_deadline_loop() {
	_qp_n=$(($1 * 10))
	shift
	while ! "$@"; do
		[ "$_qp_n" -gt 0 ] || return 1
		_qp_n=$((_qp_n - 1))
		sleep 0.1
	done
	return 0
}

# qp_instance [DIR] - make a single-user instance in DIR (default
# $PWD/inst): control files for the local domain example.test, users
# alice and bob (this uid and gid, homes DIR/home/alice and
# DIR/home/bob) and the alias postmaster: alice, compiled with qcdb,
# and an empty queue (QPOST_QUEUE=DIR/queue).  Exports
# QP_DIR, QPOST_CONTROL, QPOST_QUEUE and QPOST_LIBEXEC.
qp_instance() {
	QP_DIR=${1:-$PWD/inst}
	case $QP_DIR in
	/*)	;;
	*)	QP_DIR=$PWD/$QP_DIR ;;
	esac
	[ "$(id -u)" -ne 0 ] || atf_fail "qp_instance: a single-user" \
	    "instance must not run as root: set require.user unprivileged"
	[ -n "${QP_DIR##*[!A-Za-z0-9/._-]*}" ] ||
	    atf_fail "qp_instance: keep DIR to [A-Za-z0-9/._-]: $QP_DIR"
	QPOST_CONTROL=$QP_DIR/control
	QPOST_QUEUE=$QP_DIR/queue
	QPOST_LIBEXEC=$(qp_top)/build/libexec
	export QP_DIR QPOST_CONTROL QPOST_QUEUE QPOST_LIBEXEC
	[ -x "$QPOST_LIBEXEC/qpost-start" ] ||
	    atf_fail "qp_instance: $QPOST_LIBEXEC is not built: run make"

	mkdir -p "$QPOST_CONTROL" "$QP_DIR/home/alice" "$QP_DIR/home/bob" \
	    "$QPOST_QUEUE" || atf_fail "qp_instance: cannot make $QP_DIR"
	echo example.test > "$QPOST_CONTROL/me"
	echo example.test > "$QPOST_CONTROL/locals"
	_qp_ids="$(id -u):$(id -g)"
	{
		echo "alice:$_qp_ids:$QP_DIR/home/alice"
		echo "bob:$_qp_ids:$QP_DIR/home/bob"
	} > "$QPOST_CONTROL/users"
	echo "postmaster: alice" > "$QPOST_CONTROL/aliases"
	"$QPOST_LIBEXEC/qcdb" users aliases >"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qp_instance: qcdb users aliases failed" "$QP_DIR/qcdb.log"

	(
		cd "$QPOST_QUEUE" &&
		mkdir drop mess env tmp &&
		chmod 1777 drop && chmod 0700 mess env tmp &&
		mkfifo -m 0622 trigger
	) || atf_fail "qp_instance: cannot make the queue in $QPOST_QUEUE"
	: > "$QP_DIR/log"
	: > "$QP_DIR/pids"
	echo "$QP_DIR" >> "$PWD/.qp_instances"
}

# qp_alive PID - whether PID runs (a zombie counts as gone).
qp_alive() {
	_qp_st=$(sed 's/.*) //; s/ .*//' "/proc/$1/stat" 2>/dev/null) ||
	    return 1
	[ -n "$_qp_st" ] && [ "$_qp_st" != Z ]
}

# qp_ours PID - whether PID runs one of the instance's programs, so a
# recycled PID is never killed by mistake.
qp_ours() {
	case $(readlink "/proc/$1/exe" 2>/dev/null) in
	"$(qp_top)"/*)	return 0 ;;
	esac
	return 1
}

# qp_count_ready - how many times sched said it was ready.
qp_count_ready() {
	_qp_c=$(grep -c 'sched: ready' "$QP_DIR/log" 2>/dev/null)
	echo "${_qp_c:-0}"
}

# qp_start - start qpost-start (which becomes sched, with lspawn and
# rspawn as its children) in the background, its output appended to
# $QP_DIR/log, and wait until sched logs "sched: ready" (again: a
# restart waits for a new line).  Records sched's and the spawners'
# PIDs in $QP_DIR/pids.  Timeout: QP_START_TIMEOUT seconds (30).
# It is started from a subshell, so it is no child of the test's shell
# and a bare "wait" in a test body does not wait for the daemon.
qp_start() {
	[ -n "${QP_DIR:-}" ] || atf_fail "qp_start: no qp_instance"
	_qp_before=$(qp_count_ready)
	(
		"$QPOST_LIBEXEC/qpost-start" </dev/null >>"$QP_DIR/log" 2>&1 &
		echo $! > "$QP_DIR/start.pid"
	)
	_qp_pid=$(cat "$QP_DIR/start.pid")
	echo "$_qp_pid" >> "$QP_DIR/pids"
	_qp_ready() {
		[ "$(qp_count_ready)" -gt "$_qp_before" ] && return 0
		qp_alive "$_qp_pid" ||
		    qp_fail "qp_start: qpost-start exited early"
		return 1
	}
	qp_deadline_loop "${QP_START_TIMEOUT:-30}" _qp_ready ||
	    qp_fail "qp_start: no 'sched: ready' in ${QP_START_TIMEOUT:-30} s"
	# the spawners, forked by qpost-start before it became sched
	for _qp_c in $(ps -o pid= --ppid "$_qp_pid" 2>/dev/null); do
		echo "$_qp_c" >> "$QP_DIR/pids"
	done
}

# qp_stop_dir DIR - TERM each recorded PID of the instance in DIR that
# still runs one of our programs, wait for them (10 s, then KILL).
qp_stop_dir() {
	[ -s "$1/pids" ] || return 0
	_qp_pids=
	for _qp_p in $(cat "$1/pids"); do
		if qp_alive "$_qp_p" && qp_ours "$_qp_p"; then
			kill -TERM "$_qp_p" 2>/dev/null
			_qp_pids="$_qp_pids $_qp_p"
		fi
	done
	_qp_all_gone() {
		for _qp_p in $_qp_pids; do
			! qp_alive "$_qp_p" || return 1
		done
		return 0
	}
	if ! qp_deadline_loop 10 _qp_all_gone; then
		echo "qp_stop: $1: still running after TERM, sending KILL" >&2
		for _qp_p in $_qp_pids; do
			kill -KILL "$_qp_p" 2>/dev/null
		done
		qp_deadline_loop 5 _qp_all_gone ||
		    echo "qp_stop: $1: could not stop:$_qp_pids" >&2
	fi
	: > "$1/pids"
	qp_sanitizer_check "$1/log"
}

# qp_sanitizer_check LOG - a sanitizer report in LOG fails the test case
# (in a body; a cleanup can only print it: kyua has judged by then).
qp_sanitizer_check() {
	grep -q -E 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' \
	    "$1" 2>/dev/null || return 0
	echo "--- sanitizer report in $1:" >&2
	grep -A 20 -E 'ERROR: [A-Za-z]+Sanitizer|runtime error:' "$1" >&2
	[ -z "${QP_DIR:-}" ] || atf_fail "sanitizer report in $1"
}

# qp_stop [DIR] - stop the instance in DIR, or every instance this work
# directory made (for cleanup parts, where QP_DIR is not set).
qp_stop() {
	if [ $# -gt 0 ]; then
		qp_stop_dir "$1"
	elif [ -f "$PWD/.qp_instances" ]; then
		for _qp_d in $(sort -u "$PWD/.qp_instances"); do
			qp_stop_dir "$_qp_d"
		done
	elif [ -n "${QP_DIR:-}" ]; then
		qp_stop_dir "$QP_DIR"
	fi
	return 0
}

# qp_kill_sched - SIGKILL sched, only sched: the spawners see end of
# file, let their running deliveries finish and exit by themselves
# (brief: "Pipes"); wait for that (30 s) before stopping them, so a
# restart never runs next to an old spawner.
qp_kill_sched() {
	_qp_sched=$(head -n 1 "$QP_DIR/pids")
	[ -n "$_qp_sched" ] || atf_fail "qp_kill_sched: nothing started"
	qp_ours "$_qp_sched" && kill -KILL "$_qp_sched" 2>/dev/null
	_qp_gone() {
		for _qp_p in $(cat "$QP_DIR/pids"); do
			! qp_alive "$_qp_p" || return 1
		done
		return 0
	}
	qp_deadline_loop 30 _qp_gone || {
		echo "qp_kill_sched: spawners still running 30 s after" \
		    "sched died: stopping them" >&2
		qp_stop_dir "$QP_DIR"
	}
	: > "$QP_DIR/pids"
}

# qp_reload - make sched read its control files again (SIGHUP).
qp_reload() {
	_qp_sched=$(head -n 1 "$QP_DIR/pids")
	qp_ours "$_qp_sched" && kill -HUP "$_qp_sched" ||
	    atf_fail "qp_reload: sched is not running"
}

# qp_nfiles DIR - the number of files in DIR (0 if it does not exist).
qp_nfiles() {
	if [ -d "$1" ]; then
		find "$1" -mindepth 1 -maxdepth 1 -type f | wc -l | tr -d ' '
	else
		echo 0
	fi
}

# qp_wait_for COUNT DIR TIMEOUT - wait until DIR holds at least COUNT
# files (more is not an error here: a test that kills processes may
# see duplicates, and checks exact counts itself); fail on the deadline.
qp_wait_for() {
	_qp_want=$1 _qp_dir=$2
	_qp_enough() {
		[ "$(qp_nfiles "$_qp_dir")" -ge "$_qp_want" ]
	}
	qp_deadline_loop "$3" _qp_enough || qp_fail "qp_wait_for:" \
	    "$_qp_dir holds $(qp_nfiles "$_qp_dir") files, not $_qp_want," \
	    "after $3 s"
}

# qp_wait_file_match FILE REGEX TIMEOUT - wait until a line of FILE
# matches the (grep basic) REGEX.
qp_wait_file_match() {
	qp_deadline_loop "$3" grep -q -e "$2" "$1" 2>/dev/null ||
	    qp_fail "qp_wait_file_match: no '$2' in $1 after $3 s" "$1"
}

# qp_wait_log REGEX TIMEOUT - qp_wait_file_match on the instance's log.
qp_wait_log() {
	qp_wait_file_match "$QP_DIR/log" "$1" "$2"
}

# qp_wait_queue_empty TIMEOUT - wait until no message is queued: drop/,
# mess/ and env/ hold no files.
qp_wait_queue_empty() {
	_qp_empty() {
		[ "$(qp_nfiles "$QPOST_QUEUE/drop")" -eq 0 ] &&
		[ "$(qp_nfiles "$QPOST_QUEUE/mess")" -eq 0 ] &&
		[ "$(qp_nfiles "$QPOST_QUEUE/env")" -eq 0 ]
	}
	qp_deadline_loop "$1" _qp_empty || qp_fail "qp_wait_queue_empty:" \
	    "after $1 s: drop $(qp_nfiles "$QPOST_QUEUE/drop")," \
	    "mess $(qp_nfiles "$QPOST_QUEUE/mess")," \
	    "env $(qp_nfiles "$QPOST_QUEUE/env")"
}

# qp_trigger - wake sched as qinject does after a commit (one byte into
# the trigger FIFO, without blocking if sched is not reading): for tests
# that put files into drop/ themselves.
qp_trigger() {
	/usr/bin/python3 -c '
import os, sys
try:
    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_NONBLOCK)
except OSError:
    sys.exit(0)
os.write(fd, b"x")
os.close(fd)' "$QPOST_QUEUE/trigger"
}

# qp_msg ID - a test message on stdout, LF line ends, identified by
# X-Test-Id: ID (tests/audit.py matches deliveries by it).  It has its
# own Date and Message-ID, so qinject adds none and the delivered copy
# differs only by the lines qp_mail_body_equal strips.  The body has
# lines starting with "." and "From ", which no part of qpost may
# change (a lone "." is left out: qinject, like sendmail, ends the
# message there unless given -i).
qp_msg() {
	cat <<EOF
From: Test Sender <sender@example.test>
To: Alice <alice@example.test>
Subject: qpost test message $1
Date: Sat, 28 Nov 2026 12:00:00 +0000
Message-ID: <$1.qptest@example.test>
X-Test-Id: $1

Test message $1.
..a line starting with dots
From here on the body ends.
EOF
}

# qp_strip_added FILE - FILE without the header lines qpost adds at the
# top (Return-Path, Delivered-To, Received, with continuation lines).
qp_strip_added() {
	LC_ALL=C awk '
	    top && /^(Return-Path|Delivered-To|Received):/ { cont = 1; next }
	    top && cont && /^[ \t]/ { next }
	    { top = 0; print }
	' top=1 "$1"
}

# qp_mail_body_equal DELIVERED SENT - whether the delivered file equals
# the sent message, byte for byte, once the added header lines are
# taken off the top; on a difference, prints it (diff -u) on stderr and
# returns 1.  The sent message must not itself start with one of those
# headers.
qp_mail_body_equal() {
	[ -f "$1" ] || { echo "qp_mail_body_equal: no file $1" >&2; return 1; }
	# the bytes of the added lines, so the rest is compared untouched
	_qp_off=$(LC_ALL=C awk '
	    /^(Return-Path|Delivered-To|Received):/ { c = 1; n += length($0) + 1; next }
	    c && /^[ \t]/ { n += length($0) + 1; next }
	    { exit }
	    END { print n + 0 }' "$1")
	tail -c +"$((_qp_off + 1))" "$1" | cmp -s - "$2" && return 0
	qp_strip_added "$1" | diff -u "$2" - >&2
	return 1
}

# qp_wait_gone DIR TIMEOUT - wait until no process whose environment
# names DIR/queue as QPOST_QUEUE is left (the demo's, say); fail on the
# deadline.  Only our own processes' environments are readable, which
# are the ones that matter.
qp_wait_gone() {
	_qp_gone_dir=$1
	_qp_none_left() {
		! grep -lszxF "QPOST_QUEUE=$_qp_gone_dir/queue" \
		    /proc/[0-9]*/environ >/dev/null 2>&1
	}
	qp_deadline_loop "$2" _qp_none_left || qp_fail "qp_wait_gone:" \
	    "processes of $_qp_gone_dir still run after $2 s"
}
