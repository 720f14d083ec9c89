# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dsn.sh - helpers for the tests of delivery status notifications
# (dsn_test, dsnreq_test), sourced after lib.sh.

# dsn_ok FILE ARGS... - the notice FILE passes dsn_check.py with ARGS.
dsn_ok() {
	_d_f=$1
	shift
	/usr/bin/python3 "$(atf_get_srcdir)/dsn_check.py" "$_d_f" "$@" \
	    > check.out 2>&1 || {
		cat check.out "$_d_f" >&2
		atf_fail "$(head -n 1 check.out)"
	}
}

# notices MAILDIR SUBJECT - the files in MAILDIR/new whose Subject
# starts with SUBJECT, one a line.
notices() {
	grep -l "^Subject: $2" "$1"/new/* 2>/dev/null
}

# nnotices MAILDIR SUBJECT - how many.
nnotices() {
	notices "$@" | wc -l | tr -d ' '
}

# expect_notices MAILDIR SUBJECT N - exactly N such notices.
expect_notices() {
	_d_n=$(nnotices "$1" "$2")
	[ "$_d_n" -eq "$3" ] ||
	    qp_fail "$1 holds $_d_n notices \"$2\", want $3"
}

# nlog REGEX - how many lines of the instance's log match.
nlog() {
	grep -c -e "$1" "$QP_DIR/log"
}

# killed_at POINT SETUP - start sched so that it kills itself at POINT,
# run SETUP (which injects), wait for the kill, and stop the group.
killed_at() {
	QPOST_TEST_KILL_AT=$1
	export QPOST_TEST_KILL_AT
	qp_start
	unset QPOST_TEST_KILL_AT
	$2
	qp_wait_log "test: killed at $1" 30
	qp_kill_sched
}
