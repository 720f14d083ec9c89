#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/lookupclientname and control/rejectunknownclient: the
# client's forward-confirmed name, against a real DNS server (dnsmasq),
# with each client its own loopback address.  A client whose PTR name
# has its address is named in the Received: line and the connect log
# line; one whose PTR name points elsewhere, one with no PTR and one
# whose PTR lookup fails stay "unknown"; at 1 the one without PTR and
# the failed lookup get 450 4.7.25 at MAIL, at 2 the unconfirmed one
# too; relay clients pass; with both files at 0 nothing is looked up;
# under smtpd -L's system call filter the lookups work too.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# dns_records - one client address for each case:
#	127.0.0.2	good.test, whose A is 127.0.0.2: confirmed
#	127.0.0.3	liar.test, whose A is 127.0.0.30: not confirmed
#	127.0.0.4	no PTR record (NXDOMAIN)
#	127.0.0.5	two PTR names, the first without an address, the
#			second (two.test) confirmed (dnsmasq 2.89 answers
#			a name's PTR records in the reverse order of its
#			options)
#	127.0.0.99	the PTR lookup gets SERVFAIL (tests/dns.sh)
dns_records() {
	qp_dns_start --host-record=good.test,127.0.0.2 \
	    --ptr-record=3.0.0.127.in-addr.arpa,liar.test \
	    --host-record=liar.test,127.0.0.30 \
	    --ptr-record=5.0.0.127.in-addr.arpa,two.test \
	    --ptr-record=5.0.0.127.in-addr.arpa,noaddr.test \
	    --address=/two.test/127.0.0.5
}

# mail FROM REPLY - from the client address FROM, one MAIL expecting
# REPLY (into ./FROM.d, played at once)
mail() {
	printf '%s\n' "< 220" "> EHLO client.test" "< 250" \
	    "> MAIL FROM:<sender@client.test>" "< $2" "> QUIT" "< 221" \
	    "<eof" > "$1.d"
	QP_SMTP_BIND=$1 qp_smtp_dialog "$1.d" "$1.out"
}

# connect_logged IP HOST PTR - smtpd.log has IP's connect line naming
# HOST and PTR
connect_logged() {
	grep -q "connect ip=$1 host=$2 ptr=$3\$" "$QP_DIR/smtpd.log" ||
	    qp_fail "no connect line for $1 with host=$2 ptr=$3" \
	    "$QP_DIR/smtpd.log"
}

atf_test_case names cleanup
names_head() {
	atf_set "descr" "control/lookupclientname: a confirmed name in the" \
	    "Received: line and the log, the others unknown; none refused"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "90"
}
names_body() {
	qp_smtpd_instance "$PWD/inst"
	dns_records
	echo 1 > "$QPOST_CONTROL/lookupclientname"
	qp_start
	qp_smtpd_start
	printf 'Subject: from good\n\nhello\n' > m
	QP_SMTP_BIND=127.0.0.2 qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	[ "$(qp_maildir_grep_count \
	    'Received: from client.test (good.test [127.0.0.2])' \
	    "$QP_DIR/home/alice/Maildir/new")" -eq 1 ] ||
	    qp_fail "the Received: line does not name good.test" \
	    "$QP_DIR/home/alice/Maildir/new"/*
	for ip in 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.99; do
		mail "$ip" "250 2.1.0"
	done
	connect_logged 127.0.0.2 good.test good.test
	connect_logged 127.0.0.3 unknown liar.test
	connect_logged 127.0.0.4 unknown unknown
	connect_logged 127.0.0.5 two.test noaddr.test
	connect_logged 127.0.0.99 unknown unknown
	# the forward lookups ask A of an IPv4 client's names, no more
	grep -q 'query\[A\] liar\.test ' "$(qp_dns_dir)/dnsmasq.log" ||
	    qp_fail "liar.test's address was not asked" \
	    "$(qp_dns_dir)/dnsmasq.log"
	grep -q 'query\[AAAA\]' "$(qp_dns_dir)/dnsmasq.log" &&
	    qp_fail "an IPv4 client's name was asked AAAA" \
	    "$(qp_dns_dir)/dnsmasq.log"
	grep -q 'refused client\|deferred client' "$QP_DIR/smtpd.log" &&
	    qp_fail "a client was refused without rejectunknownclient" \
	    "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	# both files at 0 (the default): no lookup, the line as before
	echo 0 > "$QPOST_CONTROL/lookupclientname"
	: > "$(qp_dns_dir)/dnsmasq.log"
	qp_smtpd_start
	mail 127.0.0.2 "250 2.1.0"
	grep -q 'connect ip=127.0.0.2 host=unknown$' "$QP_DIR/smtpd.log" ||
	    qp_fail "the connect line changed with lookups off" \
	    "$QP_DIR/smtpd.log"
	grep -q 'in-addr' "$(qp_dns_dir)/dnsmasq.log" &&
	    qp_fail "a PTR was asked with lookups off" \
	    "$(qp_dns_dir)/dnsmasq.log"
	qp_stop "$QP_DIR"
	qp_dns_stop
}
names_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_test_case reject cleanup
reject_head() {
	atf_set "descr" "control/rejectunknownclient: at 1 no PTR and a" \
	    "failed lookup get 450 4.7.25 at MAIL, at 2 an unconfirmed" \
	    "name too, each logged; relay clients pass"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "90"
}
reject_body() {
	qp_smtpd_instance "$PWD/inst"
	dns_records
	echo 1 > "$QPOST_CONTROL/rejectunknownclient"
	qp_smtpd_start
	while IFS='|' read -r ip want; do
		mail "$ip" "$want"
	done <<'EOF2'
127.0.0.2|250 2.1.0
127.0.0.3|250 2.1.0
127.0.0.5|250 2.1.0
127.0.0.4|450 4.7.25 Client host rejected: cannot find your reverse hostname, [127.0.0.4]
127.0.0.99|450 4.7.25 Client host rejected: cannot find your reverse hostname, [127.0.0.99]
EOF2
	for l in 'ip=127.0.0.4 refused client=unknown reason=no_ptr' \
	    'ip=127.0.0.99 deferred client=unknown reason=dns_temp why="'; do
		grep -qF "$l" "$QP_DIR/smtpd.log" ||
		    qp_fail "not logged: $l" "$QP_DIR/smtpd.log"
	done
	qp_stop "$QP_DIR"
	echo 2 > "$QPOST_CONTROL/rejectunknownclient"
	qp_smtpd_start
	while IFS='|' read -r ip want; do
		mail "$ip" "$want"
	done <<'EOF2'
127.0.0.2|250 2.1.0
127.0.0.5|250 2.1.0
127.0.0.3|450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]
127.0.0.4|450 4.7.25 Client host rejected: cannot find your reverse hostname, [127.0.0.4]
EOF2
	grep -qF 'ip=127.0.0.3 refused client=liar.test reason=not_confirmed' \
	    "$QP_DIR/smtpd.log" || qp_fail "not logged: not_confirmed" \
	    "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	# a relay client is named, never refused
	qp_smtpd_start RELAYCLIENT=
	mail 127.0.0.3 "250 2.1.0"
	mail 127.0.0.4 "250 2.1.0"
	qp_stop "$QP_DIR"
	qp_dns_stop
}
reject_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_test_case ipv6 cleanup
ipv6_head() {
	atf_set "descr" "an IPv6 client's name: its PTR under ip6.arpa," \
	    "confirmed by AAAA, never A"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "60"
}
ipv6_body() {
	qp_need_ipv6
	qp_smtpd_instance "$PWD/inst"
	# six.test has ::1 (AAAA, and the PTR of ::1) and an A record that
	# holds no IPv6 client
	qp_dns_start --host-record=six.test,::1,127.0.0.1
	echo 2 > "$QPOST_CONTROL/rejectunknownclient"
	# smtpd -L: Debian's tcpserver (ucspi-tcp) has no IPv6
	qp_smtpd_listen l ::1
	QP_SMTP_HOST=::1 QP_SMTP_PORT=$(cat l.port)
	export QP_SMTP_HOST QP_SMTP_PORT
	mail ::1 "250 2.1.0"
	connect_logged ::1 six.test six.test
	grep -q 'query\[PTR\] 1\.0\.0\.[0.]*ip6\.arpa ' \
	    "$(qp_dns_dir)/dnsmasq.log" ||
	    qp_fail "no PTR query under ip6.arpa" "$(qp_dns_dir)/dnsmasq.log"
	grep -q 'query\[A\] six\.test' "$(qp_dns_dir)/dnsmasq.log" &&
	    qp_fail "an IPv6 client's name was asked A" \
	    "$(qp_dns_dir)/dnsmasq.log"
	qp_stop "$QP_DIR"
	qp_dns_stop
}
ipv6_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_test_case under_listener cleanup
under_listener_head() {
	atf_set "descr" "under smtpd -L, whose sessions run in the" \
	    "acceptor's system call filter, the lookups and the refusal" \
	    "work as under tcpserver"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "60"
}
under_listener_body() {
	qp_smtpd_instance "$PWD/inst"
	dns_records
	echo 2 > "$QPOST_CONTROL/rejectunknownclient"
	qp_smtpd_listen l 127.0.0.1
	QP_SMTP_HOST=127.0.0.1 QP_SMTP_PORT=$(cat l.port)
	export QP_SMTP_HOST QP_SMTP_PORT
	mail 127.0.0.2 "250 2.1.0"
	mail 127.0.0.3 "450 4.7.25 Client host rejected: cannot find your hostname, [127.0.0.3]"
	connect_logged 127.0.0.2 good.test good.test
	connect_logged 127.0.0.3 unknown liar.test
	grep -q 'SIGSYS\|signal 31' "$QP_DIR/smtpd.log" &&
	    qp_fail "a session met its system call filter" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	qp_dns_stop
}
under_listener_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case names
	atf_add_test_case reject
	atf_add_test_case ipv6
	atf_add_test_case under_listener
}
