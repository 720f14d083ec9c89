#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# DANE (RFC 7672) in the remote sender, under the tlsdestinations
# policy "dane": `remote' runs directly, finds the MX of dane.test and
# its TLSA records through a real validating resolver (unbound, with
# zones signed by ldns-signzone: tests/dnssec.sh) and delivers to a
# test server (hostile_peer.py) with STARTTLS and a certificate from a
# test CA.  Each case checks the result, what the server stored and
# the attempt's log line.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"
. "$(atf_get_srcdir)/../dnssec.sh"
. "$(atf_get_srcdir)/remote.sh"

# needs - what every case needs.
needs() {
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "unbound ldns-signzone openssl"
	atf_set "timeout" "120"
}

# stop_all - stop the peers and unbound (for cleanups).
stop_all() {
	rm_peers_stop
	qp_dnssec_stop
}

# start_over - stop the peers and unbound, and remove their folders,
# for a case's next setup.
start_over() {
	stop_all
	rm -rf p dnssec
}

# certs - a test CA in ./ca, certificates for mx.dane.test and
# other.test, and each as a chain file (the server's, then the CA's).
certs() {
	qp_mkca "$PWD/ca"
	for n in mx.dane.test other.test; do
		qp_mkcert_signed "$PWD/ca" "$n"
		cat "ca/$n.crt" ca/ca.crt > "ca/$n.chain"
	done
}

# setup KIND NAME [TLSA...] - control files for remote; a peer "p" on
# 127.0.0.2:PORT with STARTTLS and the chain of ca/NAME (no STARTTLS
# when NAME is "-"); the zone dane.test (KIND signed or plain) whose MX
# is mx.dane.test at 127.0.0.2, with the TLSA records given ("U S M
# DATA") at _PORT._tcp.mx; unbound serving it; the policy dane.
setup() {
	_kind=$1 _cert=$2
	shift 2
	rm_control
	PORT=$(qp_free_port 127.0.0.2)
	if [ "$_cert" = - ]; then
		rm_peer_start p 127.0.0.2 "$PORT"
	else
		rm_peer_start p 127.0.0.2 "$PORT" --cert "ca/$_cert.chain" \
		    --key "ca/$_cert.key"
	fi
	_n=$#
	for _r in "$@"; do
		set -- "$@" "_$PORT._tcp.mx IN TLSA $_r"
	done
	shift "$_n"
	qp_dnssec_zone dane.test "$_kind" "@ IN MX 10 mx" "mx IN A 127.0.0.2" \
	    "$@"
	qp_dnssec_start
	echo "$PORT" > control/remoteport
	echo "dane.test:dane" > control/tlsdestinations
	qp_msg 1 > msg
}

# attempt_line - the attempt's log line, which must be there once.
attempt_line() {
	grep "domain=dane.test mx=mx.dane.test ip=127.0.0.2 port=$PORT " \
	    remote.log > attempt || qp_fail "no attempt line" remote.log
	[ "$(wc -l < attempt)" -eq 1 ] || qp_fail "want one attempt" remote.log
	cat attempt
}

atf_test_case dane_ee cleanup
dane_ee_head() {
	atf_set "descr" "DANE-EE: the TLSA record of the server's key authenticates it, another one beside it does not matter"
	needs
}
dane_ee_body() {
	certs
	setup signed mx.dane.test \
	    "3 1 1 $(qp_tlsa_spki sha256 ca/other.test.crt)" \
	    "3 1 1 $(qp_tlsa_spki sha256 ca/mx.dane.test.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	grep -q "tls=1" p/mail/*.env || atf_fail "not sent over TLS"
	attempt_line | grep -Eq "tls=TLSv1\.[23] verified=yes dane=ee " ||
	    qp_fail "the attempt does not say DANE-EE verified it" remote.log
}
dane_ee_cleanup() {
	stop_all
}

atf_test_case dane_ee_whole cleanup
dane_ee_whole_head() {
	atf_set "descr" "DANE-EE 3 0 2: the SHA2-512 of the whole certificate matches"
	needs
}
dane_ee_whole_body() {
	certs
	setup signed mx.dane.test "3 0 2 $(qp_tlsa_cert sha512 ca/mx.dane.test.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	attempt_line | grep -q "verified=yes dane=ee " ||
	    qp_fail "the attempt does not say DANE-EE verified it" remote.log
}
dane_ee_whole_cleanup() {
	stop_all
}

atf_test_case dane_mismatch cleanup
dane_mismatch_head() {
	atf_set "descr" "a certificate no TLSA record matches: deferred, nothing sent, the reason logged"
	needs
}
dane_mismatch_body() {
	certs
	setup signed mx.dane.test \
	    "3 1 1 $(qp_tlsa_spki sha256 ca/other.test.crt)" \
	    "2 0 1 $(qp_tlsa_cert sha256 ca/other.test.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "Z ^4\.7\.5 .*DANE: no TLSA record matches the certificates the server sent"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the server got the message"
	grep -q "tls version=" p/log || atf_fail "no TLS handshake was made"
	grep -q 'cmd "MAIL' p/log &&
	    atf_fail "MAIL was sent to an unauthenticated server"
	attempt_line | grep -q "verified=no dane=failed " ||
	    qp_fail "the attempt does not say DANE failed" remote.log
}
dane_mismatch_cleanup() {
	stop_all
}

atf_test_case dane_ta cleanup
dane_ta_head() {
	atf_set "descr" "DANE-TA: the issuing CA in the TLSA record authenticates a chain to the MX host's name, not to another name"
	needs
}
dane_ta_body() {
	certs
	setup signed mx.dane.test "2 0 1 $(qp_tlsa_cert sha256 ca/ca.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	attempt_line | grep -q "verified=yes dane=ta " ||
	    qp_fail "the attempt does not say DANE-TA verified it" remote.log
	# the same CA, a certificate for another name
	start_over
	setup signed other.test "2 1 1 $(qp_tlsa_spki sha256 ca/ca.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "Z ^4\.7\.5 .*DANE: no TLSA record matches"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the server got the message"
}
dane_ta_cleanup() {
	stop_all
}

atf_test_case dane_needs_tls cleanup
dane_needs_tls_head() {
	atf_set "descr" "usable TLSA records and a server without STARTTLS: deferred, nothing sent in clear"
	needs
}
dane_needs_tls_body() {
	certs
	setup signed - "3 1 1 $(qp_tlsa_spki sha256 ca/mx.dane.test.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "Z ^4\.7\.4 .*did not offer STARTTLS, which DANE \(its TLSA records\) requires"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the message went in clear"
}
dane_needs_tls_cleanup() {
	stop_all
}

atf_test_case dane_unusable cleanup
dane_unusable_head() {
	atf_set "descr" "only unusable TLSA records (PKIX-EE, full data, a digest of the wrong length): TLS is required, any certificate taken"
	needs
}
dane_unusable_body() {
	certs
	key=$(qp_tlsa_spki sha256 ca/other.test.crt)
	full=$(openssl x509 -in ca/other.test.crt -noout -pubkey |
	    openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d ' \n')
	setup signed other.test "1 1 1 $key" "3 1 0 $full" \
	    "3 1 1 ${key%??}" "3 1 2 $key"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	grep -q "tls=1" p/mail/*.env || atf_fail "not sent over TLS"
	attempt_line | grep -q "verified=no dane=encrypt " ||
	    qp_fail "the attempt does not say dane=encrypt" remote.log
	start_over
	setup signed - "1 1 1 $(qp_tlsa_spki sha256 ca/other.test.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "Z ^4\.7\.4 .*which DANE \(its TLSA records\) requires"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the message went in clear"
}
dane_unusable_cleanup() {
	stop_all
}

atf_test_case dane_insecure cleanup
dane_insecure_head() {
	atf_set "descr" "TLSA records DNSSEC does not vouch for (an unsigned zone), or none: opportunistic TLS, the records ignored"
	needs
}
dane_insecure_body() {
	certs
	setup plain mx.dane.test "3 1 1 $(qp_tlsa_spki sha256 ca/other.test.crt)"
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	grep -q "tls=1" p/mail/*.env || atf_fail "not sent over TLS"
	attempt_line | grep -Eq "verified=no time=" ||
	    qp_fail "an insecure TLSA record was used" remote.log
	# signed, without TLSA records: the same
	start_over
	setup signed mx.dane.test
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	attempt_line | grep -Eq "verified=no time=" ||
	    qp_fail "DANE without TLSA records" remote.log
}
dane_insecure_cleanup() {
	stop_all
}

atf_test_case dane_bogus cleanup
dane_bogus_head() {
	atf_set "descr" "a TLSA lookup that fails (a record changed after signing): the host is not used, the mail waits"
	needs
}
dane_bogus_body() {
	certs
	good=$(qp_tlsa_spki sha256 ca/mx.dane.test.crt)
	setup signed mx.dane.test "3 1 1 $good"
	qp_dnssec_stop
	# a forged record: its signature no longer holds
	sed -i "s/$good/$(qp_tlsa_spki sha256 ca/other.test.crt)/" \
	    dnssec/dane.test.zone.signed
	grep -q "$good" dnssec/dane.test.zone.signed &&
	    atf_fail "the TLSA record was not changed"
	qp_dnssec_start
	echo "$PORT" > control/remoteport
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "Z ^4\.4\.3 "
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the host was used"
	grep -q "mx=mx.dane.test skipped: TLSA lookup: " remote.log ||
	    qp_fail "the failed TLSA lookup is not logged" remote.log
}
dane_bogus_cleanup() {
	stop_all
}

atf_test_case dane_no_mx cleanup
dane_no_mx_head() {
	atf_set "descr" "a domain without MX (its own address) and a relay of smtproutes by name: their TLSA records apply too"
	needs
}
dane_no_mx_body() {
	certs
	rm_control
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT" --cert ca/other.test.chain \
	    --key ca/other.test.key
	bad="3 1 1 $(qp_tlsa_spki sha256 ca/mx.dane.test.crt)"
	qp_dnssec_zone dane.test signed "@ IN A 127.0.0.2" \
	    "_$PORT._tcp IN TLSA $bad" "relay IN A 127.0.0.2" \
	    "_$PORT._tcp.relay IN TLSA $bad"
	qp_dnssec_start
	echo "$PORT" > control/remoteport
	echo ":dane" > control/tlsdestinations
	qp_msg 1 > msg
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "Z ^4\.7\.5 .*DANE: no TLSA record matches"
	grep -q "mx=dane.test ip=127.0.0.2 port=$PORT .*dane=failed " \
	    remote.log || qp_fail "no DANE for the implicit MX" remote.log
	echo "relay.test:relay.dane.test:$PORT" > control/smtproutes
	rm_remote relay.test s@sender.test a@relay.test
	rm_expect "Z ^4\.7\.5 .*DANE: no TLSA record matches"
	grep -q "mx=relay.dane.test ip=127.0.0.2 port=$PORT .*dane=failed " \
	    remote.log || qp_fail "no DANE for the relay" remote.log
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the server got a message"
}
dane_no_mx_cleanup() {
	stop_all
}

atf_test_case dane_policy_only cleanup
dane_policy_only_head() {
	atf_set "descr" "TLSA records count only under the policy dane: with may, a mismatch still delivers"
	needs
}
dane_policy_only_body() {
	certs
	setup signed mx.dane.test "3 1 1 $(qp_tlsa_spki sha256 ca/other.test.crt)"
	echo "dane.test:may" > control/tlsdestinations
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	attempt_line | grep -Eq "verified=no time=" ||
	    qp_fail "TLSA records used under may" remote.log
}
dane_policy_only_cleanup() {
	stop_all
}

atf_test_case dane_only cleanup
dane_only_head() {
	atf_set "descr" "dane-only: delivered when a validated TLSA record matches; a host without one is not even connected to"
	needs
}
dane_only_body() {
	certs
	setup signed mx.dane.test "3 1 1 $(qp_tlsa_spki sha256 ca/mx.dane.test.crt)"
	echo "dane.test:dane-only" > control/tlsdestinations
	rm_remote dane.test s@sender.test a@dane.test
	rm_expect "K ^2\.0\.0"
	attempt_line | grep -q "verified=yes dane=ee " ||
	    qp_fail "the attempt does not say DANE-EE verified it" remote.log
	for kind in plain signed; do
		start_over
		if [ $kind = plain ]; then
			setup plain mx.dane.test \
			    "3 1 1 $(qp_tlsa_spki sha256 ca/mx.dane.test.crt)"
		else
			setup signed mx.dane.test
		fi
		echo "dane.test:dane-only" > control/tlsdestinations
		rm_remote dane.test s@sender.test a@dane.test
		rm_expect "Z ^4\.7\.5 mx\.dane\.test has no usable TLSA records that DNSSEC validated, which control/tlsdestinations requires for dane\.test \(dane-only\)"
		grep -q "mx=mx.dane.test skipped: no usable TLSA records" \
		    remote.log || qp_fail "$kind: the skip is not logged" \
		    remote.log
		grep -q "connect" p/log &&
		    qp_fail "$kind: the host was connected to" p/log
	done
	return 0
}
dane_only_cleanup() {
	stop_all
}

atf_init_test_cases() {
	atf_add_test_case dane_ee
	atf_add_test_case dane_ee_whole
	atf_add_test_case dane_mismatch
	atf_add_test_case dane_ta
	atf_add_test_case dane_needs_tls
	atf_add_test_case dane_unusable
	atf_add_test_case dane_insecure
	atf_add_test_case dane_bogus
	atf_add_test_case dane_no_mx
	atf_add_test_case dane_policy_only
	atf_add_test_case dane_only
}
