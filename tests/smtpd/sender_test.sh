#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/rejectunknownsender and control/rejectbadhelo, Postfix's
# reject_unknown_sender_domain and reject_invalid_helo_hostname: against
# a real DNS server (dnsmasq), a sender domain with an MX or only an
# address is taken, one that does not exist or has no record gets 450
# 4.1.8, a null MX 550 5.7.27, a dotless one 504, a SERVFAIL 451 4.4.3,
# each with its log line; a HELO name that is not a hostname gets 501,
# one without a dot 504; relay clients and the site's own domains are
# not asked, and with both files at 0 nothing is; under smtpd -L's
# system call filter the lookups and a header check work too.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# mail HELO SENDER REPLY - one MAIL after HELO, expecting REPLY
mail() {
	printf '%s\n' "< 220" "> EHLO $1" "< 250" "> MAIL FROM:<$2>" "< $3" \
	    "> QUIT" "< 221" "<eof"
}

# dns_records - the sender domains of these tests in dnsmasq
dns_records() {
	qp_dns_start --mx-host=mx.test,mail.mx.test,10 \
	    --host-record=mail.mx.test,127.0.0.2 \
	    --host-record=aonly.test,127.0.0.3 \
	    --mx-host=nullmx.test,.,0 \
	    --txt-record=txtonly.test,"no mail here"
}

atf_test_case unknown_sender cleanup
unknown_sender_head() {
	atf_set "descr" "each kind of sender domain gets its reply and log" \
	    "line; relay clients and the site's own domains are not asked"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "90"
}
unknown_sender_body() {
	qp_smtpd_instance "$PWD/inst"
	dns_records
	echo 1 > "$QPOST_CONTROL/rejectunknownsender"
	qp_smtpd_start
	n=0
	while IFS='|' read -r sender want; do
		n=$((n + 1))
		mail client.test "$sender" "$want" > "s$n"
		qp_smtp_dialog "s$n"
	done <<'EOF'
a@mx.test|250 2.1.0
a@aonly.test|250 2.1.0
a@MX.TEST|250 2.1.0
a@nowhere.test|450 4.1.8 <a@nowhere.test>: Sender address rejected: Domain not found
a@txtonly.test|450 4.1.8 <a@txtonly.test>: Sender address rejected: Domain not found
a@nullmx.test|550 5.7.27 <a@nullmx.test>: Sender address rejected: Domain nullmx.test does not accept mail (null MX)
a@localhost|504 5.5.2 <a@localhost>: Sender address rejected: need fully-qualified address
a@x.servfail.test|451 4.4.3 <a@x.servfail.test>: Sender address rejected: unable to look up x.servfail.test now, try again later
|250 2.1.0
alice@example.test|250 2.1.0
a@[127.0.0.1]|250 2.1.0
EOF
	for l in 'refused sender=<a@nowhere.test> reason=unknown_domain' \
	    'refused sender=<a@txtonly.test> reason=unknown_domain' \
	    'refused sender=<a@nullmx.test> reason=null_mx' \
	    'refused sender=<a@localhost> reason=non_fqdn' \
	    'deferred sender=<a@x.servfail.test> reason=dns_temp why='; do
		grep -qF "$l" "$QP_DIR/smtpd.log" ||
		    qp_fail "not logged: $l" "$QP_DIR/smtpd.log"
	done
	# the site's own domain was not looked up, nor the literal
	grep -q 'example\.test' "$(qp_dns_dir)/dnsmasq.log" &&
	    qp_fail "a local domain was looked up" "$(qp_dns_dir)/dnsmasq.log"
	qp_stop "$QP_DIR"
	# a relay client is not asked
	qp_smtpd_start RELAYCLIENT=
	mail client.test a@nowhere.test "250 2.1.0" > r
	qp_smtp_dialog r
	qp_stop "$QP_DIR"
	# and with the file at 0 nobody is
	echo 0 > "$QPOST_CONTROL/rejectunknownsender"
	qp_smtpd_start
	mail client.test a@nullmx.test "250 2.1.0" > z
	qp_smtp_dialog z
	qp_stop "$QP_DIR"
	qp_dns_stop
}
unknown_sender_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_test_case bad_helo cleanup
bad_helo_head() {
	atf_set "descr" "control/rejectbadhelo: a HELO name that is not a" \
	    "hostname gets 501 at MAIL, one without a dot 504, an address" \
	    "literal and a hostname pass; a relay client is not asked"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_helo_body() {
	qp_smtpd_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/rejectbadhelo"
	qp_smtpd_start
	n=0
	while IFS='|' read -r helo want; do
		n=$((n + 1))
		mail "$helo" sender@client.test "$want" > "h$n"
		qp_smtp_dialog "h$n"
	done <<'EOF'
client.test|250 2.1.0
[127.0.0.1]|250 2.1.0
[IPv6:::1]|250 2.1.0
mypc|504 5.5.2 <mypc>: Helo command rejected: need fully-qualified hostname
bad_name.test|501 5.5.2 <bad_name.test>: Helo command rejected: Invalid name
-x-.test|501 5.5.2 <-x-.test>: Helo command rejected: Invalid name
EOF
	grep -q 'refused helo=<mypc> reason=non_fqdn' "$QP_DIR/smtpd.log" ||
	    qp_fail "not logged" "$QP_DIR/smtpd.log"
	grep -q 'refused helo=<bad_name.test> reason=invalid' \
	    "$QP_DIR/smtpd.log" || qp_fail "not logged" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	qp_smtpd_start RELAYCLIENT=
	mail mypc sender@client.test "250 2.1.0" > r
	qp_smtp_dialog r
	qp_stop "$QP_DIR"
}
bad_helo_cleanup() {
	qp_stop
}

atf_test_case under_listener cleanup
under_listener_head() {
	atf_set "descr" "under smtpd -L, whose sessions run in the acceptor's" \
	    "system call filter: the sender's DNS lookups and a header" \
	    "check's PCRE2 pattern work there as under tcpserver"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "60"
}
under_listener_body() {
	qp_smtpd_instance "$PWD/inst"
	dns_records
	echo 1 > "$QPOST_CONTROL/rejectunknownsender"
	echo 1 > "$QPOST_CONTROL/rejectbadhelo"
	printf '/^Subject:\\s+cheap\\s+pills/ REJECT No spam here\n' \
	    > "$QPOST_CONTROL/headerchecks"
	qp_smtpd_listen main 127.0.0.1
	QP_SMTP_HOST=127.0.0.1 QP_SMTP_PORT=$(cat main.port)
	printf 'Subject: cheap   pills\n\nhi\n' > m
	qp_wire m
	printf '%s\n' "< 220" "> EHLO client.test" "< 250" \
	    "> MAIL FROM:<a@nowhere.test>" \
	    "< 450 4.1.8 <a@nowhere.test>: Sender address rejected: Domain not found" \
	    "> MAIL FROM:<a@nullmx.test>" "< 550 5.7.27" \
	    "> MAIL FROM:<a@mx.test>" "< 250 2.1.0" \
	    "> RCPT TO:<alice@example.test>" "< 250 2.1.5" "> DATA" "< 354" \
	    ">file m.wire" "< 550 5.7.1 No spam here" "> QUIT" "< 221" "<eof" \
	    > s
	qp_smtp_dialog s
	mail mypc a@mx.test "504 5.5.2" > h
	qp_smtp_dialog h
	qp_stop "$QP_DIR"
	qp_dns_stop
}
under_listener_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case unknown_sender
	atf_add_test_case bad_helo
	atf_add_test_case under_listener
}
