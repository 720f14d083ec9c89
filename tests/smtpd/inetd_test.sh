#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd started inetd-style (no TCPREMOTEIP): it finds the client with
# getpeername, over IPv6 as over IPv4.

. "$(atf_get_srcdir)/../lib.sh"

# start_inetd HOST - tests/inetd.py on HOST running smtpd per connection.
start_inetd() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	/usr/bin/python3 "$(qp_top)/tests/inetd.py" "$1" port \
	    "QPOST_QUEUE=$QP_DIR/queue" "$QPOST_LIBEXEC/smtpd" \
	    2>>"$QP_DIR/smtpd.log" &
	echo $! >> "$QP_DIR/pids"
	qp_deadline_loop 10 test -s port || atf_fail "inetd.py did not start"
	QP_SMTP_HOST=$1
	QP_SMTP_PORT=$(cat port)
	export QP_SMTP_HOST QP_SMTP_PORT
}

# deliver_from HOST - a message over HOST; its Received: names HOST.
deliver_from() {
	start_inetd "$1"
	qp_msg i1 > m
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o match:"^Received: from client.test \\(unknown \\[$2\\]\\)" \
	    sh -c "cat '$QP_DIR'/home/alice/Maildir/new/*"
	atf_check -o match:"connect ip=$2 " cat "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}

atf_test_case ipv4 cleanup
ipv4_head() {
	atf_set "descr" "without TCPREMOTEIP, smtpd takes the IPv4 client" \
	    "from getpeername"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
ipv4_body() {
	deliver_from 127.0.0.1 "127\\.0\\.0\\.1"
}
ipv4_cleanup() {
	qp_stop
}

atf_test_case ipv6 cleanup
ipv6_head() {
	atf_set "descr" "over IPv6 (::1) the client is ::1 in Received: and" \
	    "the log"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
ipv6_body() {
	qp_need_ipv6
	deliver_from ::1 "::1"
}
ipv6_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case ipv4
	atf_add_test_case ipv6
}
