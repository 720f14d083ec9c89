#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# remote's memory is bounded whatever the server sends: the peak
# resident set (ru_maxrss under GNU time, tests/rss_probe.py) stays
# under a fixed bound against a reply line that never ends and a
# multi-line reply that never ends (64 MiB offered each time), and the
# delivery is deferred with the reason.
#
# Measured on Debian 12, x86-64, plain build (2026-11): 4.3 MB for the
# endless line, 4.4 MB for the endless multi-line reply (remote stops
# at SMTP_REPLY_LINE_MAX and SMTP_REPLY_LINES_MAX).  The bound, 8 MB,
# is about twice that.  In the sanitizer build the figure is logged and
# the result checked, not the bound (its runtime inflates RSS).

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/remote.sh"

BOUND_KB=8192

# probe CASE REGEX: rss_probe's remote CASE; the result text of the
# deferral matches REGEX and the peak is under BOUND_KB.
probe() {
	rm_control
	printf 'Subject: bounds\n\nbody\n' > msg
	atf_check -o save:probe.out -e ignore /usr/bin/python3 \
	    "$(qp_top)/tests/rss_probe.py" remote "$1"
	atf_check -o inline:"status=0\n" grep "^status=" probe.out
	grep -q "result=defer text=\"4.4.2 .*$2" remote.log || {
		cat remote.log >&2
		atf_fail "$1: not deferred with '$2'"
	}
	kb=$(sed -n 's/^maxrss_kb=//p' probe.out)
	echo "$1: peak RSS $kb KB (bound $BOUND_KB KB)"
	if qp_sanitized; then
		echo "$1: sanitizer build: bound not checked"
		return 0
	fi
	[ "$kb" -le "$BOUND_KB" ] ||
	    atf_fail "$1: remote's peak RSS $kb KB is over $BOUND_KB KB"
}

atf_test_case endless_line
endless_line_head() {
	atf_set "descr" "a greeting line that never ends: deferred, memory" \
	    "bounded"
	atf_set "require.progs" "/usr/bin/time"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
endless_line_body() {
	probe longreply "reply line too long"
}

atf_test_case endless_multiline
endless_multiline_head() {
	atf_set "descr" "a multi-line greeting that never ends: deferred," \
	    "memory bounded"
	atf_set "require.progs" "/usr/bin/time"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
endless_multiline_body() {
	probe multiline "malformed reply"
}

atf_init_test_cases() {
	atf_add_test_case endless_line
	atf_add_test_case endless_multiline
}
