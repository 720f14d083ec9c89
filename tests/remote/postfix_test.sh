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
# dane);
# every delivered file is byte for byte the injected message apart
# from the headers the two MTAs added.  Postfix must start as root, so
# the cases run as root and run qpost as the unprivileged qptest
# (qp_as_user), writing qpost's extra control files as root (remote
# reads them afresh on each run).

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../postfix.sh"
. "$(atf_get_srcdir)/../dns.sh"
. "$(atf_get_srcdir)/../dnssec.sh"

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

atf_init_test_cases() {
	atf_add_test_case fifty_plain
	atf_add_test_case starttls_mx
	atf_add_test_case starttls_dane
}
