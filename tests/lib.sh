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

# qp_sanitized - whether the tree is a SANITIZE=1 build: the ASan
# runtime is in its programs (looked for in the binary itself, which
# cannot go stale as a marker file could).
qp_sanitized() {
	grep -q __asan_init "$(qp_top)/build/libexec/sched" 2>/dev/null
}

# qp_plain_only WHY - skip the test case in a sanitizer build, for
# tests that learn nothing more from one (WHY says why); CI runs the
# suite in both builds and has half an hour for the two.
qp_plain_only() {
	! qp_sanitized || atf_skip "runs in the plain build only: $*"
}

# qp_fail MESSAGE... [FILE] - fail the test case with the words of
# MESSAGE joined; the last lines of FILE (the last argument, when it
# names a file; default: the instance's log) go to stderr, since kyua
# wants a one-line reason and calls a multi-line one broken.
qp_fail() {
	_qp_msg= _qp_f=${QP_DIR:-.}/log
	while [ $# -gt 0 ]; do
		if [ $# -eq 1 ] && [ -n "$_qp_msg" ] && [ -f "$1" ]; then
			_qp_f=$1
		else
			_qp_msg="${_qp_msg:+$_qp_msg }$1"
		fi
		shift
	done
	if [ -s "$_qp_f" ]; then
		echo "--- last lines of $_qp_f:" >&2
		tail -n 40 "$_qp_f" >&2
	fi
	atf_fail "$_qp_msg"
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
# control/smtproutes sending every remote domain to a closed loopback
# port, and an empty queue (QPOST_QUEUE=DIR/queue) with its trigger and
# control FIFOs.  Exports
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
	# every remote domain goes to a closed loopback port: deferred at
	# once, and no test reaches for the network or /etc/resolv.conf
	# (tests of the remote sender write their own smtproutes)
	echo ":127.0.0.1:1" > "$QPOST_CONTROL/smtproutes"
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
		mkfifo -m 0622 trigger && mkfifo -m 0600 ctl
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

# qp_ours PID [DIR] - whether PID runs one of the instance's programs,
# so a recycled PID is never killed by mistake: one of the tree's, or
# the tcpserver that qp_smtpd_start started for the instance in DIR
# (its command line names DIR/queue).
qp_ours() {
	case $(readlink "/proc/$1/exe" 2>/dev/null) in
	"$(qp_top)"/*)	return 0 ;;
	*/tcpserver|*/python3*)
		[ -n "${2:-}" ] && tr '\0' '\n' < "/proc/$1/cmdline" 2>/dev/null |
		    grep -qxF "QPOST_QUEUE=$2/queue" && return 0 ;;
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
		# QP_START_WRAP: a command that execs it, e.g. chrt(1)
		${QP_START_WRAP:-} "$QPOST_LIBEXEC/qpost-start" </dev/null \
		    >>"$QP_DIR/log" 2>&1 &
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

# qp_start_pooled USER - qp_start, sched to kill itself at the kill
# point results-unsettled once ./armed exists (QPOST_TEST_KILL_IF);
# then two 20 KB messages delivered to USER, whose files wait in
# sched's pools (queue/sched_pool.c) to be written over, and cut to
# length, by the test's shorter messages.
qp_start_pooled() {
	QPOST_TEST_KILL_AT=results-unsettled
	QPOST_TEST_KILL_IF=$PWD/armed
	export QPOST_TEST_KILL_AT QPOST_TEST_KILL_IF
	qp_start
	unset QPOST_TEST_KILL_AT QPOST_TEST_KILL_IF
	{ qp_msg big; head -c 20000 /dev/zero | tr '\0' x | fold -w 70; } \
	    > big.msg
	for _qp_n in 1 2; do
		"$QPOST_LIBEXEC/qinject" "$1@example.test" < big.msg ||
		    atf_fail "qp_start_pooled: qinject failed"
	done
	qp_wait_for 2 "$QP_DIR/home/$1/Maildir/new" 30
	qp_wait_queue_empty 30
}

# qp_policy PID - PID's scheduling policy as sched(7) numbers it (0
# SCHED_OTHER, 3 SCHED_BATCH, 5 SCHED_IDLE): field 41 of its stat, the
# 39th after the name's closing parenthesis.
qp_policy() {
	sed 's/.*) //' "/proc/$1/stat" | awk '{ print $39 }'
}

# qp_expect_policy PID N - fail unless PID's scheduling policy is N.
qp_expect_policy() {
	_qp_p=$(qp_policy "$1")
	[ "$_qp_p" = "$2" ] || atf_fail "pid $1 ($(cat "/proc/$1/comm")) has" \
	    "scheduling policy $_qp_p, not $2"
}

# qp_stop_dir DIR - TERM each recorded PID of the instance in DIR that
# still runs one of our programs, wait for them (10 s, then KILL).
qp_stop_dir() {
	[ -s "$1/pids" ] || return 0
	_qp_pids=
	for _qp_p in $(cat "$1/pids"); do
		if qp_alive "$_qp_p" && qp_ours "$_qp_p" "$1"; then
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
	qp_stop_sessions "$1"
	qp_sanitizer_check "$1/log"
	qp_sanitizer_check "$1/smtpd.log"
}

# qp_stop_sessions DIR - TERM (then KILL) what tcpserver leaves behind
# when it is stopped: smtpd sessions and their qinject, i.e. processes
# running one of the tree's programs with QPOST_QUEUE=DIR/queue in their
# environment (only our own processes' environments are readable).
qp_stop_sessions() {
	_qp_sess=
	for _qp_e in $(grep -lszxF "QPOST_QUEUE=$1/queue" \
	    /proc/[0-9]*/environ 2>/dev/null); do
		_qp_p=${_qp_e#/proc/}
		_qp_p=${_qp_p%/environ}
		[ "$_qp_p" != "$$" ] || continue
		if qp_alive "$_qp_p" && qp_ours "$_qp_p"; then
			kill -TERM "$_qp_p" 2>/dev/null
			_qp_sess="$_qp_sess $_qp_p"
		fi
	done
	[ -n "$_qp_sess" ] || return 0
	_qp_sess_gone() {
		for _qp_p in $_qp_sess; do
			! qp_alive "$_qp_p" || return 1
		done
		return 0
	}
	qp_deadline_loop 5 _qp_sess_gone && return 0
	for _qp_p in $_qp_sess; do
		kill -KILL "$_qp_p" 2>/dev/null
	done
	qp_deadline_loop 5 _qp_sess_gone ||
	    echo "qp_stop: $1: sessions still running:$_qp_sess" >&2
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
# file, stop their running deliveries (SIGTERM: the next sched redoes
# them) and exit by themselves; wait for that (30 s) before stopping
# them, so a restart never runs next to an old spawner.
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

# qp_read_by_client MAILDIR - move the one file of MAILDIR/new to
# MAILDIR/cur with the flags ":2,S", as an IMAP server does once it has
# shown the message; fail when new/ holds no file.
qp_read_by_client() {
	_qp_f=$(ls "$1/new")
	[ -n "$_qp_f" ] && mv "$1/new/$_qp_f" "$1/cur/$_qp_f:2,S" ||
	    atf_fail "no copy in $1/new to move to cur/"
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

# qp_wait_committed ID TIMEOUT - wait until message ID has its env file.
# A result is logged when it comes in, and the envelope saved at the end
# of sched's turn; a message delivered before its commit has no env file
# until then (qpost-queue(5)), so qstat does not list it yet.
qp_wait_committed() {
	qp_deadline_loop "$2" test -e "$QPOST_QUEUE/env/$1" ||
	    qp_fail "qp_wait_committed: no env/$1 after $2 s" "$QP_DIR/log"
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

# qp_queue_files - the files in the queue's drop/, mess/, env/ and tmp/,
# a path a line, but for those of finished messages that sched keeps in
# tmp/ for new ones while it runs (pm.N, pe.N: qpost-queue(5)); it
# removes them when it stops.
qp_queue_files() {
	find "$QPOST_QUEUE/drop" "$QPOST_QUEUE/mess" "$QPOST_QUEUE/env" \
	    "$QPOST_QUEUE/tmp" -mindepth 1 ! -path "$QPOST_QUEUE/tmp/p[me].*"
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

# qp_queue_clean - restart with the cleanup of stale files on (its age
# 0), drain, stop: nothing at all may be left in drop/, mess/, env/ or
# tmp/.
qp_queue_clean() {
	QPOST_CLEANUP_AGE=0 qp_start
	qp_wait_queue_empty 30
	qp_stop
	atf_check -o inline:"" find "$QPOST_QUEUE/drop" "$QPOST_QUEUE/mess" \
	    "$QPOST_QUEUE/env" "$QPOST_QUEUE/tmp" -mindepth 1
}

# qp_drop_env FILE - the envelope of the drop file FILE (qpost-queue(5):
# after the header and the message, fields of a tag letter, a length,
# ':', the value and ','), a field a line as "TAG VALUE", the end
# marker Z included; fails the test case when FILE is no drop file.
qp_drop_env() {
	/usr/bin/python3 - "$1" <<'PY' && return 0
import sys
d = open(sys.argv[1], "rb").read()
if d[:8] != b"QPDROP1 " or d[28:29] != b"\n":
    sys.exit(1)
p = 29 + int(d[8:28])
while p < len(d):
    tag, colon = d[p:p + 1], d.index(b":", p)
    n = int(d[p + 1:colon])
    v, p = d[colon + 1:colon + 1 + n], colon + 2 + n
    if d[p - 1:p] != b",":
        sys.exit(1)
    sys.stdout.write("%s %s\n" % (tag.decode(), v.decode("utf-8", "replace")))
PY
	atf_fail "qp_drop_env: $1 is no drop file"
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
# top (Return-Path, Delivered-To, Received, and Authentication-Results
# where control/verify asks for it, with continuation lines).
qp_strip_added() {
	LC_ALL=C awk '
	    top && /^(Return-Path|Delivered-To|Received|Authentication-Results):/ { cont = 1; next }
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
	    /^(Return-Path|Delivered-To|Received|Authentication-Results):/ { c = 1; n += length($0) + 1; next }
	    c && /^[ \t]/ { n += length($0) + 1; next }
	    { exit }
	    END { print n + 0 }' "$1")
	tail -c +"$((_qp_off + 1))" "$1" | cmp -s - "$2" && return 0
	qp_strip_added "$1" | diff -u "$2" - >&2
	return 1
}

# qp_instance_pids DIR - the pids of our processes whose environment
# names DIR/queue as QPOST_QUEUE (only our own environments are
# readable, which are the ones that matter).
qp_instance_pids() {
	grep -lszxF "QPOST_QUEUE=$1/queue" /proc/[0-9]*/environ 2>/dev/null |
	    sed 's|/proc/\([0-9]*\)/environ|\1|'
}

# qp_wait_gone DIR TIMEOUT - wait until no such process is left (the
# demo's, say); fail on the deadline.
qp_wait_gone() {
	_qp_gone_dir=$1
	_qp_none_left() {
		[ -z "$(qp_instance_pids "$_qp_gone_dir")" ]
	}
	qp_deadline_loop "$2" _qp_none_left || qp_fail "qp_wait_gone:" \
	    "processes of $_qp_gone_dir still run after $2 s"
}

# qp_kill_spawner NAME PIDFILE - SIGKILL sched's child NAME (lspawn or
# rspawn), then fail unless the process whose pid PIDFILE holds (one
# the spawner started) is gone within 10 s.
qp_kill_spawner() {
	_qp_sp=$(ps -o pid=,comm= --ppid "$(cat "$QP_DIR/start.pid")" |
	    awk -v n="$1" '$2 == n { print $1 }')
	[ -n "$_qp_sp" ] || atf_fail "qp_kill_spawner: no $1 under sched"
	_qp_child=$(cat "$2")
	kill -KILL "$_qp_sp"
	_qp_child_gone() { ! qp_alive "$_qp_child"; }
	qp_deadline_loop 10 _qp_child_gone || {
		kill -KILL "$_qp_child"
		atf_fail "process $_qp_child outlived its $1"
	}
}

# qp_kill_instance DIR - for cleanups: TERM, then KILL, every process
# left of the instance in DIR.  Kyua kills a failed body's process
# group, but daemons in sessions of their own (the demo's) outlive it.
qp_kill_instance() {
	for _qp_p in $(qp_instance_pids "$1"); do
		kill -TERM "$_qp_p" 2>/dev/null
	done
	_qp_n=0
	while [ -n "$(qp_instance_pids "$1")" ] && [ $_qp_n -lt 50 ]; do
		sleep 0.1
		_qp_n=$((_qp_n + 1))
	done
	for _qp_p in $(qp_instance_pids "$1"); do
		kill -KILL "$_qp_p" 2>/dev/null
	done
	return 0
}

# qp_free_port [HOST] - a free TCP port on HOST (default 127.0.0.1),
# from the kernel: bind to port 0, print the port, close.
qp_free_port() {
	/usr/bin/python3 -c '
import socket, sys
h = sys.argv[1]
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)
s.bind((h, 0))
print(s.getsockname()[1])' "${1:-127.0.0.1}"
}

# qp_has_ipv6 - whether this machine has the IPv6 loopback (::1).
qp_has_ipv6() {
	/usr/bin/python3 -c 'import socket
socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null
}

# qp_need_ipv6 - skip the test case without the IPv6 loopback.
qp_need_ipv6() {
	qp_has_ipv6 || atf_skip "no IPv6 loopback (::1) on this machine"
}

# qp_port_open HOST PORT - whether a TCP connection to HOST PORT opens.
qp_port_open() {
	/usr/bin/python3 -c '
import socket, sys
h, p = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in h else socket.AF_INET)
s.settimeout(2)
try:
    s.connect((h, p))
except OSError:
    sys.exit(1)
s.close()' "$1" "$2"
}

# qp_smtpd_start [VAR=VALUE...] - start smtpd for the instance under
# tcpserver on a free loopback port, as brief3 says it is started:
#
#	tcpserver -q -R -H -c 100 127.0.0.1 PORT env QPOST_CONTROL=...
#	    QPOST_QUEUE=... QPOST_LIBEXEC=... [VAR=VALUE...] .../smtpd
#
# The VAR=VALUE words (RELAYCLIENT= say) go into smtpd's environment.
# stderr (tcpserver's and every session's) is appended to
# $QP_DIR/smtpd.log; tcpserver's PID goes into $QP_DIR/pids so qp_stop
# stops it (and the sessions it leaves).  Waits until the port accepts
# a connection (QP_START_TIMEOUT seconds, 30) and exports QP_SMTP_PORT
# and QP_SMTP_HOST.  QP_SMTPD_IP (default 127.0.0.1; ::1 for IPv6)
# chooses the address, QP_SMTPD (default $QPOST_LIBEXEC/smtpd) the
# program, so the helper can be tried on a stand-in.
qp_smtpd_start() {
	[ -n "${QP_DIR:-}" ] || atf_fail "qp_smtpd_start: no qp_instance"
	_qp_prog=${QP_SMTPD:-$QPOST_LIBEXEC/smtpd}
	[ -x "$_qp_prog" ] ||
	    atf_fail "qp_smtpd_start: $_qp_prog is not built: run make"
	command -v tcpserver >/dev/null 2>&1 ||
	    atf_fail "qp_smtpd_start: no tcpserver (Debian ucspi-tcp)"
	QP_SMTP_HOST=${QP_SMTPD_IP:-127.0.0.1}
	QP_SMTP_PORT=$(qp_free_port "$QP_SMTP_HOST") ||
	    atf_fail "qp_smtpd_start: no free port on $QP_SMTP_HOST"
	export QP_SMTP_HOST QP_SMTP_PORT
	(
		tcpserver -q -R -H -c 100 "$QP_SMTP_HOST" "$QP_SMTP_PORT" \
		    env QPOST_CONTROL="$QPOST_CONTROL" \
		    QPOST_QUEUE="$QPOST_QUEUE" QPOST_LIBEXEC="$QPOST_LIBEXEC" \
		    "$@" "$_qp_prog" </dev/null >/dev/null \
		    2>>"$QP_DIR/smtpd.log" &
		echo $! > "$QP_DIR/tcpserver.pid"
	)
	_qp_tcps=$(cat "$QP_DIR/tcpserver.pid")
	echo "$_qp_tcps" >> "$QP_DIR/pids"
	_qp_listening() {
		qp_port_open "$QP_SMTP_HOST" "$QP_SMTP_PORT" && return 0
		qp_alive "$_qp_tcps" || qp_fail "qp_smtpd_start: tcpserver" \
		    "exited early" "$QP_DIR/smtpd.log"
		return 1
	}
	qp_deadline_loop "${QP_START_TIMEOUT:-30}" _qp_listening ||
	    qp_fail "qp_smtpd_start: $QP_SMTP_HOST port $QP_SMTP_PORT not" \
	    "open after ${QP_START_TIMEOUT:-30} s" "$QP_DIR/smtpd.log"
}

# qp_smtpd_listen NAME HOST [FLAG...] - smtpd -L HOST:PORT FLAG... on a
# free port of HOST, stderr into smtpd.log; its pid in NAME.pid (and
# the instance's pids, for qp_stop), its port in NAME.port.  Waits for
# its "listen address=" line: no probe connection, no extra session.
qp_smtpd_listen() {
	_ln=$1 _lh=$2
	shift 2
	_lp=$(qp_free_port "$_lh") || atf_fail "no free port on $_lh"
	case $_lh in
	*:*)	_la="[$_lh]:$_lp" ;;
	*)	_la="$_lh:$_lp" ;;
	esac
	(
		"$QPOST_LIBEXEC/smtpd" -L "$_la" "$@" </dev/null >/dev/null \
		    2>>"$QP_DIR/smtpd.log" &
		echo $! > "$_ln.pid"
	)
	cat "$_ln.pid" >> "$QP_DIR/pids"
	echo "$_lp" > "$_ln.port"
	_lre=$(printf %s "$_la" | sed 's/[].[]/\\&/g')
	qp_wait_file_match "$QP_DIR/smtpd.log" "smtpd: listen address=$_lre " 10
}

# qp_smtp_dialog SCRIPT [OUT] - play SCRIPT (tests/smtp_dialog.py's
# format; "-" reads stdin) against the instance's smtpd, from the
# source address QP_SMTP_BIND when it is set; the transcript
# goes to OUT (default ./dialog.out) and, on a mismatch, with the
# reason and the end of smtpd.log to stderr before the test case fails.
qp_smtp_dialog() {
	_qp_out=${2:-dialog.out}
	if ! /usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" \
	    -H "$QP_SMTP_HOST" -p "$QP_SMTP_PORT" \
	    ${QP_SMTP_BIND:+-b "$QP_SMTP_BIND"} "$1" >"$_qp_out" \
	    2>"$_qp_out.err"; then
		echo "--- transcript:" >&2
		tail -n 40 "$_qp_out" >&2
		cat "$_qp_out.err" >&2
		qp_fail "SMTP dialogue $1: $(tail -n 1 "$_qp_out.err" |
		    cut -c 1-200)" "$QP_DIR/smtpd.log"
	fi
}

# qp_queued_ids [TRANSCRIPT] - the queue ids of the "250 ... queued as
# ID" replies in TRANSCRIPT (default ./dialog.out), one a line.
qp_queued_ids() {
	sed -n 's/^S: 250 2\.0\.0 Ok: queued as \([0-9a-f]\{16\}\)$/\1/p' \
	    "${1:-dialog.out}"
}

# qp_crlf - stdin to stdout with LF line ends made CRLF (a message in
# the queue's form made into what a client sends).
qp_crlf() {
	LC_ALL=C sed 's/$/\r/'
}

# qp_dotstuff - stdin (CRLF lines) to stdout dot-stuffed for DATA, with
# the end of data ".CRLF" added.
qp_dotstuff() {
	LC_ALL=C sed 's/^\./../'
	printf '.\r\n'
}

# qp_smtpd_instance [DIR] - qp_instance for smtpd tests: besides the
# local domain example.test (control/locals), control/rcpthosts lists
# other.test and .hosted.test (subdomains of hosted.test), compiled by
# qcdb.  Remote domains go to a closed port (qp_instance), which defers
# them.
qp_smtpd_instance() {
	qp_instance "${1:-$PWD/inst}"
	printf 'other.test\n.hosted.test\n' > "$QPOST_CONTROL/rcpthosts"
	"$QPOST_LIBEXEC/qcdb" rcpthosts >>"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qp_smtpd_instance: qcdb rcpthosts failed" \
	    "$QP_DIR/qcdb.log"
}

# qp_wire MSG - the message file MSG (LF line ends) as DATA sends it:
# CRLF line ends, dot-stuffed, ended by ".CRLF"; into MSG.wire.
qp_wire() {
	qp_crlf < "$1" | qp_dotstuff > "$1.wire"
}

# qp_smtp_send MSG RCPT... - send the message file MSG (LF line ends)
# in one session from <sender@example.test> to each RCPT (all must be
# accepted) with DATA, expect "250 2.0.0 Ok: queued as ID", QUIT.  The
# transcript is in MSG.out; sets QP_QUEUE_ID to the id.  (Not to be run
# in $(...): a failure there would not end the test case.)
qp_smtp_send() {
	_qp_m=$1
	shift
	qp_wire "$_qp_m"
	{
		echo "< 220 "
		echo "> EHLO client.test"
		echo "< 250 "
		echo "> MAIL FROM:<sender@example.test>"
		echo "< 250 2.1.0"
		for _qp_r in "$@"; do
			echo "> RCPT TO:<$_qp_r>"
			echo "< 250 2.1.5"
		done
		echo "> DATA"
		echo "< 354"
		echo ">file $_qp_m.wire"
		echo "< 250 2.0.0 Ok: queued as "
		echo "> QUIT"
		echo "< 221 2.0.0"
		echo "<eof"
	} > "$_qp_m.dialog"
	qp_smtp_dialog "$_qp_m.dialog" "$_qp_m.out"
	QP_QUEUE_ID=$(qp_queued_ids "$_qp_m.out")
	[ -n "$QP_QUEUE_ID" ] ||
	    atf_fail "qp_smtp_send: no queue id in $_qp_m.out"
}

# qp_maildir_grep_count PATTERN DIR... - how many files in the Maildir
# new/ folders DIR... contain the fixed string PATTERN.
qp_maildir_grep_count() {
	_qp_pat=$1
	shift
	_qp_n=0
	for _qp_d in "$@"; do
		[ -d "$_qp_d" ] || continue
		_qp_c=$(grep -l -F -e "$_qp_pat" -r "$_qp_d" 2>/dev/null |
		    wc -l | tr -d ' ')
		_qp_n=$((_qp_n + _qp_c))
	done
	echo "$_qp_n"
}

# qp_mkcert DIR - a self-signed P-256 certificate and key for
# mx.example.test as DIR/tls.crt and DIR/tls.key.
qp_mkcert() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj /CN=mx.example.test -days 2 \
	    -keyout "$1/tls.key.new" -out "$1/tls.crt.new" \
	    >openssl.out 2>&1 || qp_fail "openssl req failed" openssl.out
	chmod 0600 "$1/tls.key.new"
	# renamed into place so a session never reads half a file
	mv "$1/tls.key.new" "$1/tls.key" && mv "$1/tls.crt.new" "$1/tls.crt"
}

# qp_mkca DIR - a test certificate authority: a P-256 key DIR/ca.key
# and a self-signed CA certificate DIR/ca.crt (CN "qpost test CA",
# valid 2 days), for clients that verify (control/tlscafile, swaks
# --tls-ca-path, openssl s_client -CAfile).  EC keys: made in
# milliseconds, where RSA takes a while.
qp_mkca() {
	mkdir -p "$1" || atf_fail "qp_mkca: cannot make $1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
	    -nodes -subj "/CN=qpost test CA" -days 2 \
	    -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" \
	    -keyout "$1/ca.key" -out "$1/ca.crt" >"$1/openssl.out" 2>&1 ||
	    qp_fail "qp_mkca: openssl req failed" "$1/openssl.out"
	chmod 0600 "$1/ca.key"
}

# qp_mkcert_signed DIR NAME - a P-256 server key DIR/NAME.key and a
# certificate DIR/NAME.crt for NAME (CN and subjectAltName: DNS:NAME,
# or IP:NAME for an IPv4 address), serverAuth, valid 2 days, signed by
# the CA that qp_mkca made in DIR.
qp_mkcert_signed() {
	[ -s "$1/ca.crt" ] && [ -s "$1/ca.key" ] ||
	    atf_fail "qp_mkcert_signed: no CA in $1: run qp_mkca first"
	case $2 in
	*[!0-9.]*)	_qp_san=DNS:$2 ;;
	*)		_qp_san=IP:$2 ;;
	esac
	printf '%s\n' "subjectAltName=$_qp_san" \
	    "basicConstraints=critical,CA:FALSE" \
	    "keyUsage=critical,digitalSignature" \
	    "extendedKeyUsage=serverAuth" \
	    "subjectKeyIdentifier=hash" \
	    "authorityKeyIdentifier=keyid" > "$1/$2.ext"
	{
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -subj "/CN=$2" -keyout "$1/$2.key" \
		    -out "$1/$2.csr" &&
		openssl x509 -req -in "$1/$2.csr" -CA "$1/ca.crt" \
		    -CAkey "$1/ca.key" -CAcreateserial -CAserial "$1/ca.srl" \
		    -days 2 -extfile "$1/$2.ext" -out "$1/$2.crt"
	} >"$1/openssl.out" 2>&1 ||
	    qp_fail "qp_mkcert_signed: openssl failed for $2" "$1/openssl.out"
	chmod 0600 "$1/$2.key"
	rm -f "$1/$2.csr" "$1/$2.ext"
}
