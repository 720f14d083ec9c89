#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The remote sender delivers into a real MTA: a private Postfix
# instance (tests/postfix.sh) receives what qpost's remote sends, one
# message to 50 recipients in one transaction, plain by control/
# smtproutes and over STARTTLS by an MX record from a real DNS server
# (dnsmasq) with the certificate verified (tlsdestinations verify), and
# by a signed MX record with the certificate matched by a TLSA record
# that a validating resolver vouches for (unbound; tlsdestinations
# dane), and with the sender's DSN requests, which Postfix records;
# every delivered file is byte for byte the injected message apart
# from the headers the two MTAs added.  Postfix must start as root, so
# the cases run as root and run qpost as the unprivileged qptest
# (qp_as_user), writing qpost's extra control files as root (remote
# reads them afresh on each run).

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../postfix.sh"
. "$(atf_get_srcdir)/../dns.sh"
. "$(atf_get_srcdir)/../dnssec.sh"
. "$(atf_get_srcdir)/remote.sh"

QP_USER=qptest

# inject RCPT... - qinject, as qptest, ./m to the recipients.
inject() {
	cp m "$PF_BASE/m" && chmod 0644 "$PF_BASE/m"
	runuser -u "$QP_USER" -- env -i PATH=/usr/bin:/bin \
	    QPOST_CONTROL="$QP_DIR/control" QPOST_QUEUE="$QPOST_QUEUE" \
	    QPOST_LIBEXEC="$(qp_top)/build/libexec" \
	    "$(qp_top)/build/libexec/qinject" -i -f "$QP_USER@example.test" \
	    "$@" < "$PF_BASE/m" > inject.out 2>&1 ||
	    qp_fail "qinject failed" inject.out
}

# check_all DOMAIN N REGEX - N files delivered for rDOMAIN recipients
# r1..rN, each the injected message once both MTAs' added lines are
# off, with a Received: line of Postfix matching REGEX.
check_all() {
	_pf_want=$2
	_pf_some() { [ "$(pf_nfiles_new "$PF_DIR/mail")" -ge "$_pf_want" ]; }
	qp_deadline_loop 60 _pf_some ||
	    qp_fail "Postfix got $(pf_nfiles_new "$PF_DIR/mail") of $2"
	i=1
	while [ $i -le "$2" ]; do
		f=$(ls "$PF_DIR/mail/$1/r$i/new/"*) ||
		    atf_fail "nothing delivered to r$i@$1"
		[ "$(echo "$f" | wc -l)" -eq 1 ] ||
		    atf_fail "more than one copy for r$i@$1"
		grep -qE "$3" "$f" || qp_fail "no Received: like '$3'" "$f"
		pf_body "$f" > body
		qp_strip_added body > body.orig
		cmp -s body.orig m || {
			diff -u m body.orig >&2
			atf_fail "r$i@$1 got a message that differs"
		}
		i=$((i + 1))
	done
}

# route_by_dns - qpost as qptest, routing by DNS (no smtproutes), its
# control folder exported as QPOST_CONTROL, and a free port on
# 127.0.0.2 in $port for the receiver.
route_by_dns() {
	pf_base
	qp_as_user
	QPOST_CONTROL=$QP_DIR/control
	export QPOST_CONTROL
	rm "$QPOST_CONTROL/smtproutes"	# qp_instance's: route by DNS here
	port=$(pf_free_port 127.0.0.2) || atf_fail "no free port"
}

atf_test_case fifty_plain cleanup
fifty_plain_head() {
	atf_set "descr" "50 recipients in one transaction to Postfix by smtproutes, byte-identical"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix"
	atf_set "timeout" "180"
}
fifty_plain_body() {
	pf_base
	qp_as_user
	port=$(pf_free_port 127.0.0.2) || atf_fail "no free port"
	pf_receiver_start 127.0.0.2 "$port" "a.test"
	echo "a.test:127.0.0.2:$port" > "$QP_DIR/control/smtproutes"
	{
		qp_msg pf1
		printf '.\n..\n.dot\neight bits: Gr\303\274\303\237e\n'
		printf '%0990d\n' 0
	} > m
	set --
	i=1
	while [ $i -le 50 ]; do
		set -- "$@" "r$i@a.test"
		i=$((i + 1))
	done
	inject "$@"
	check_all a.test 50 "by mx\.pf\.test \(Postfix\) with ESMTP id "
	[ "$(grep -c 'remote: .* mx=127.0.0.2 ip=127.0.0.2 ' "$QP_DIR/log")" \
	    -eq 1 ] || qp_fail "want one attempt (one transaction) for 50"
	grep -q "remote: .*to=<r1@a.test>,<r2@a.test>.*<r50@a.test> result=sent" \
	    "$QP_DIR/log" || qp_fail "the attempt line lacks the recipients"
	[ "$(grep -c 'postfix/smtpd.*: client=' "$PF_DIR/maillog")" -eq 1 ] ||
	    qp_fail "Postfix saw more than one transaction" "$PF_DIR/maillog"
	qp_wait_queue_empty 30
}
fifty_plain_cleanup() {
	pf_cleanup
}

atf_test_case starttls_mx cleanup
starttls_mx_head() {
	atf_set "descr" "by an MX record, over STARTTLS with the certificate verified (tlsdestinations verify)"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix dnsmasq"
	atf_set "timeout" "180"
}
starttls_mx_body() {
	route_by_dns
	PF_HOSTNAME=mx1.example.test pf_receiver_start 127.0.0.2 "$port" \
	    "b.test" tls
	qp_dns_start --mx-host=b.test,mx1.example.test,10 \
	    --host-record=mx1.example.test,127.0.0.2
	chmod 0644 "$QPOST_CONTROL/resolvers"
	echo "$port" > "$QPOST_CONTROL/remoteport"
	echo "b.test:verify" > "$QPOST_CONTROL/tlsdestinations"
	echo "$PF_CA_CERT" > "$QPOST_CONTROL/tlscafile"
	qp_msg pf2 > m
	inject r1@b.test r2@b.test r3@b.test
	check_all b.test 3 "by mx1\.example\.test \(Postfix\) with ESMTPS id "
	grep -Eq "remote: .* mx=mx1.example.test ip=127.0.0.2 port=$port tls=TLSv1\.[23] verified=yes .*result=sent" \
	    "$QP_DIR/log" || qp_fail "no verified TLS attempt in the log"
	qp_wait_queue_empty 30
}
starttls_mx_cleanup() {
	pf_cleanup
	qp_dns_stop
}

atf_test_case starttls_dane cleanup
starttls_dane_head() {
	atf_set "descr" "by a signed MX record, over STARTTLS with Postfix's certificate matched by a validated TLSA record (tlsdestinations dane)"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix unbound ldns-signzone"
	atf_set "timeout" "180"
}
starttls_dane_body() {
	route_by_dns
	PF_HOSTNAME=mx1.dane.test pf_receiver_start 127.0.0.2 "$port" \
	    "dane.test" tls
	spki=$(qp_tlsa_spki sha256 "$PF_BASE/ca/mx1.dane.test.crt")
	qp_dnssec_zone dane.test signed "@ IN MX 10 mx1" \
	    "mx1 IN A 127.0.0.2" "_$port._tcp.mx1 IN TLSA 3 1 1 $spki"
	qp_dnssec_start
	chmod 0644 "$QPOST_CONTROL/resolvers"
	echo "$port" > "$QPOST_CONTROL/remoteport"
	echo "dane.test:dane" > "$QPOST_CONTROL/tlsdestinations"
	qp_msg pf3 > m
	inject r1@dane.test r2@dane.test
	check_all dane.test 2 "by mx1\.dane\.test \(Postfix\) with ESMTPS id "
	grep -Eq "remote: .* mx=mx1.dane.test ip=127.0.0.2 port=$port tls=TLSv1\.[23] verified=yes dane=ee .*result=sent" \
	    "$QP_DIR/log" || qp_fail "no attempt authenticated by DANE"
	qp_wait_queue_empty 30
}
starttls_dane_cleanup() {
	pf_cleanup
	qp_dnssec_stop
}

atf_test_case dsn_passed cleanup
dsn_passed_head() {
	atf_set "descr" "a request's DSN fields, through rspawn and remote, reach" \
	    "Postfix, which offers DSN: its queue file holds RET, ENVID," \
	    "NOTIFY and ORCPT as the sender asked, and P1 comes back in the" \
	    "result for sched"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix postcat"
	atf_set "timeout" "180"
}
dsn_passed_body() {
	pf_base
	port=$(pf_free_port 127.0.0.2) || atf_fail "no free port"
	pf_receiver_start 127.0.0.2 "$port" "a.test"
	# rspawn as sched starts it, as qptest, with a queue holding the
	# message and smtproutes sending a.test to Postfix
	r=$PF_BASE/r
	mkdir -p "$r/control" "$r/queue/mess" || atf_fail "cannot make $r"
	echo sender.test > "$r/control/me"
	echo "a.test:127.0.0.2:$port" > "$r/control/smtproutes"
	qp_msg dsn > "$r/queue/mess/0123456789abcdef"
	chown -R "$QP_USER" "$r"
	runuser -u "$QP_USER" -- env -i PATH=/usr/bin:/bin \
	    QPOST_CONTROL="$r/control" QPOST_QUEUE="$r/queue" \
	    QPOST_LIBEXEC="$(qp_top)/build/libexec" /usr/bin/python3 \
	    "$(atf_get_srcdir)/rspawn_run.py" J=1 I=0123456789abcdef \
	    F=sender@sender.test Y=H J=qp+2Benv-1 R=hold1@a.test D=SD \
	    "X=rfc822;Orig+2Bx@a.test" R=r2@a.test D=N R=r3@a.test \
	    > result 2> rspawn.log || qp_fail "rspawn gave no result" rspawn.log
	rm_expect "J ^1$" "K ^2\.0\.0 .*said: 250 " "P ^1$" "K ^2\.0\.0" \
	    "P ^1$" "K ^2\.0\.0" "P ^1$"
	# Postfix's records, xtext decoded: ret_flags 2 is HDRS,
	# notify_flags 10 SUCCESS and DELAY, 1 NEVER; r3 sent no ORCPT, so
	# Postfix made its own
	_held() { [ -n "$(ls "$PF_DIR/spool/hold")" ]; }
	qp_deadline_loop 10 _held || qp_fail "Postfix held nothing" \
	    "$PF_DIR/maillog"
	postcat -c "$PF_DIR/etc" "$PF_DIR"/spool/hold/* > postcat.out ||
	    atf_fail "postcat failed"
	grep -E '^(named_attribute: (envelope_id|ret_flags|notify_flags|dsn_orig_rcpt)=|recipient: )' \
	    postcat.out > got
	printf '%s\n' "named_attribute: envelope_id=qp+env-1" \
	    "named_attribute: ret_flags=2" \
	    "named_attribute: notify_flags=10" \
	    "named_attribute: dsn_orig_rcpt=rfc822;Orig+x@a.test" \
	    "recipient: hold1@a.test" \
	    "named_attribute: notify_flags=1" \
	    "named_attribute: dsn_orig_rcpt=rfc822;r2@a.test" \
	    "recipient: r2@a.test" \
	    "named_attribute: dsn_orig_rcpt=rfc822;r3@a.test" \
	    "recipient: r3@a.test" > want
	if ! cmp -s want got; then
		diff -u want got >&2
		qp_fail "Postfix did not get the requests as asked" postcat.out
	fi
}
dsn_passed_cleanup() {
	pf_cleanup
}

atf_test_case seven_bit cleanup
seven_bit_head() {
	atf_set "descr" "to a Postfix that does not offer 8BITMIME, a" \
	    "message with 8-bit parts arrives made 7-bit (RFC 6152 3): the" \
	    "8-bit parts quoted-printable, the rest as sent, every part the" \
	    "same once decoded"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix"
	atf_set "timeout" "180"
}
seven_bit_body() {
	pf_base
	port=$(pf_free_port 127.0.0.2) || atf_fail "no free port"
	PF_MAIN_EXTRA="smtpd_discard_ehlo_keywords = 8bitmime" \
	    pf_receiver_start 127.0.0.2 "$port" "a.test"
	r=$PF_BASE/r
	mkdir -p "$r/control" "$r/queue/mess" || atf_fail "cannot make $r"
	echo sender.test > "$r/control/me"
	echo "a.test:127.0.0.2:$port" > "$r/control/smtproutes"
	{
		printf '%s\n' 'From: s@sender.test' 'Subject: seven' \
		    'MIME-Version: 1.0' \
		    'Content-Type: multipart/alternative; boundary=b' '' \
		    '--b' 'Content-Type: text/plain; charset=utf-8' ''
		printf 'eight bits: Gr\303\274\303\237e\n.\n..\n'
		printf '%s\n' '--b' 'Content-Type: text/html; charset=utf-8' \
		    'Content-Transfer-Encoding: 8bit' ''
		printf '<p>%0100d \303\251</p>\n' 0
		printf '%s\n' '--b--'
	} > m
	cp m "$r/queue/mess/0123456789abcdef"
	chown -R "$QP_USER" "$r"
	runuser -u "$QP_USER" -- env -i PATH=/usr/bin:/bin \
	    QPOST_CONTROL="$r/control" QPOST_QUEUE="$r/queue" \
	    QPOST_LIBEXEC="$(qp_top)/build/libexec" /usr/bin/python3 \
	    "$(atf_get_srcdir)/rspawn_run.py" J=1 I=0123456789abcdef \
	    F=sender@sender.test R=r1@a.test \
	    > result 2> rspawn.log || qp_fail "rspawn gave no result" rspawn.log
	rm_expect "J ^1$" "K ^2\.0\.0 .*said: 250 " "P ^1$"
	pf_wait_delivered "$PF_DIR/mail" 1
	pf_body "$PF_DIR"/mail/a.test/r1/new/* > got
	/usr/bin/python3 "$(atf_get_srcdir)/seven_check.py" m got \
	    > check.out || qp_fail "not made 7-bit as it should be" check.out
	grep -q "discarding EHLO keywords: 8BITMIME" "$PF_DIR/maillog" ||
	    qp_fail "Postfix offered 8BITMIME" "$PF_DIR/maillog"
}
seven_bit_cleanup() {
	pf_cleanup
}

atf_init_test_cases() {
	atf_add_test_case seven_bit
	atf_add_test_case fifty_plain
	atf_add_test_case starttls_mx
	atf_add_test_case starttls_dane
	atf_add_test_case dsn_passed
}
