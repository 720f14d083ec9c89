#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Routing by DNS: a real DNS server (dnsmasq, tests/dns.sh) serves MX,
# A, AAAA and null MX records for .test names that point at test SMTP
# servers on 127.0.0.x (hostile_peer.py), all on one port that
# control/remoteport names.  remote runs directly, as rspawn runs it,
# and each case checks which server got the message and the exact
# per-recipient result.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"
. "$(atf_get_srcdir)/remote.sh"

# setup DNSMASQ-OPTIONS... - control files, peers mx1 (127.0.0.2) and
# mx2 (127.0.0.3) on one port, and dnsmasq with the given records plus
# the A records of mx1.example.test and mx2.example.test.
setup() {
	rm_control
	PORT=$(qp_free_port 127.0.0.2)
	echo "$PORT" > control/remoteport
	rm_peer_start mx1 127.0.0.2 "$PORT"
	rm_peer_start mx2 127.0.0.3 "$PORT"
	qp_dns_start --host-record=mx1.example.test,127.0.0.2 \
	    --host-record=mx2.example.test,127.0.0.3 "$@"
	qp_msg 1 > msg
}

atf_test_case preference cleanup
preference_head() {
	atf_set "descr" "the MX with the lowest preference gets the mail"
	atf_set "require.user" "unprivileged"
}
preference_body() {
	setup --mx-host=example.test,mx2.example.test,20 \
	    --mx-host=example.test,mx1.example.test,10
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0 mx1\.example\.test\[127\.0\.0\.2\]"
	[ "$(rm_mails mx1)" -eq 1 ] && [ "$(rm_mails mx2)" -eq 0 ] ||
	    atf_fail "mx1 got $(rm_mails mx1), mx2 $(rm_mails mx2)"
	cmp mx1/mail/*.eml msg || atf_fail "the message differs"
}
preference_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case fallback cleanup
fallback_head() {
	atf_set "descr" "a refused connection moves on to the next MX, and both attempts are logged"
	atf_set "require.user" "unprivileged"
}
fallback_body() {
	setup --mx-host=example.test,dead.example.test,10 \
	    --mx-host=example.test,mx2.example.test,20 \
	    --host-record=dead.example.test,127.0.0.4
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0 mx2\.example\.test"
	[ "$(rm_mails mx2)" -eq 1 ] || atf_fail "mx2 did not get the mail"
	grep -q "mx=dead.example.test ip=127.0.0.4 .*result=defer text=\"4.4.1 .*connect: Connection refused" remote.log ||
	    qp_fail "no log line for the refused MX" remote.log
	grep -q "mx=mx2.example.test ip=127.0.0.3 .*result=sent" remote.log ||
	    qp_fail "no log line for the delivery" remote.log
}
fallback_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case shuffle cleanup
shuffle_head() {
	atf_set "descr" "MX hosts of equal preference are both used over many deliveries"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
shuffle_body() {
	setup --mx-host=example.test,mx1.example.test,10 \
	    --mx-host=example.test,mx2.example.test,10
	i=0
	# both are used with probability 1 - 2^-19 per run of 20
	while [ $i -lt 20 ]; do
		rm_remote example.test s@sender.test a@example.test
		rm_expect "K ^2\.0\.0"
		i=$((i + 1))
	done
	[ "$(rm_mails mx1)" -ge 1 ] && [ "$(rm_mails mx2)" -ge 1 ] ||
	    atf_fail "mx1 got $(rm_mails mx1), mx2 $(rm_mails mx2) of 20"
}
shuffle_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case implicit_mx cleanup
implicit_mx_head() {
	atf_set "descr" "a domain without MX gets mail at its own address (RFC 5321 5.1), IPv6 too"
	atf_set "require.user" "unprivileged"
}
implicit_mx_body() {
	setup --host-record=plain.test,127.0.0.3 --host-record=six.test,::1
	rm_remote plain.test s@sender.test a@plain.test
	rm_expect "K ^2\.0\.0 plain\.test\[127\.0\.0\.3\]"
	[ "$(rm_mails mx2)" -eq 1 ] || atf_fail "plain.test's host got nothing"
	rm_peer_start v6 "[::1]" "$PORT"
	rm_remote six.test s@sender.test a@six.test
	rm_expect "K ^2\.0\.0 six\.test\[::1\]"
	[ "$(rm_mails v6)" -eq 1 ] || atf_fail "the IPv6 host got nothing"
}
implicit_mx_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case no_mail cleanup
no_mail_head() {
	atf_set "descr" "null MX, NXDOMAIN and MX hosts without addresses bounce; SERVFAIL defers"
	atf_set "require.user" "unprivileged"
}
no_mail_body() {
	setup --mx-host=nullmx.test,.,0 \
	    --mx-host=nohost.test,gone.nohost.test,10
	rm_remote nullmx.test s@sender.test a@nullmx.test b@nullmx.test
	rm_expect "D ^5\.1\.10 .*null MX" "D ^5\.1\.10 .*null MX"
	rm_remote nosuch.test s@sender.test a@nosuch.test
	rm_expect "D ^5\.1\.2 .*does not exist"
	rm_remote nohost.test s@sender.test a@nohost.test
	rm_expect "D ^5\.1\.2 .*no MX host of nohost\.test has an address"
	rm_remote x.servfail.test s@sender.test a@x.servfail.test
	rm_expect "Z ^4\.4\.3 .*DNS"
	[ "$(rm_mails mx1)" -eq 0 ] && [ "$(rm_mails mx2)" -eq 0 ] ||
	    atf_fail "a message was sent"
}
no_mail_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case loops_back cleanup
loops_back_head() {
	atf_set "descr" "an MX naming this host is an error; as a backup MX only better ones are used"
	atf_set "require.user" "unprivileged"
}
loops_back_body() {
	setup --mx-host=loop.test,sender.test,10 \
	    --mx-host=backup.test,mx1.example.test,10 \
	    --mx-host=backup.test,sender.test,20 \
	    --mx-host=backup.test,mx2.example.test,30 \
	    --host-record=sender.test,127.0.0.3
	rm_remote loop.test s@sender.test a@loop.test
	rm_expect "D ^5\.4\.6 .*loops back to myself"
	rm_mode mx1 greet421
	rm_remote backup.test s@sender.test a@backup.test
	rm_expect "Z said: 421"
	[ "$(rm_mails mx2)" -eq 0 ] ||
	    atf_fail "a worse MX than this host was used"
}
loops_back_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case dead_host cleanup
dead_host_head() {
	atf_set "descr" "an MX that times out is reported, the next one delivers, and next time it is skipped"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
dead_host_body() {
	setup --mx-host=example.test,mx1.example.test,10 \
	    --mx-host=example.test,mx2.example.test,20
	rm_mode mx1 stall_greeting
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0 mx2" "X 127.0.0.2"
	QPOST_REMOTE_DOWN=127.0.0.2 rm_remote example.test s@sender.test \
	    a@example.test
	rm_expect "K ^2\.0\.0 mx2"
	grep -q "mx=mx1.example.test ip=127.0.0.2 skipped" remote.log ||
	    qp_fail "the dead MX was not skipped" remote.log
	[ "$(rm_mails mx2)" -eq 2 ] || atf_fail "mx2 should have both"
}
dead_host_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_test_case idn cleanup
idn_head() {
	atf_set "descr" "an internationalized domain is looked up in A-labels and its UTF-8 address sent with SMTPUTF8"
	atf_set "require.user" "unprivileged"
}
idn_body() {
	setup --mx-host=xn--bcher-kva.test,mx1.example.test,10
	d=$(printf 'b\303\274cher.test')
	rm_remote "$d" s@sender.test "a@$d"
	rm_expect "K ^2\.0\.0 mx1\.example\.test"
	grep -q "SMTPUTF8" mx1/mail/*.env || atf_fail "SMTPUTF8 was not asked for"
	rm_remote "$(printf 'a\342\230\203.test')" s@sender.test \
	    "$(printf 'a@a\342\230\203.test')"
	rm_expect "D ^5\.1\.2 .*not a valid internationalized"
}
idn_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

# mkcerts - ./ca (a test CA), ./self (a self-signed certificate for
# mx.self.test) and ./signed (mx.ca.test's, signed by the CA).
mkcerts() {
	mkdir ca self signed
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj "/CN=qpost test CA" -days 2 -keyout ca/key -out ca/crt \
	    > openssl.out 2>&1 &&
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mx.self.test -addext subjectAltName=DNS:mx.self.test \
	    -days 2 -keyout self/key -out self/crt >> openssl.out 2>&1 &&
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mx.ca.test -keyout signed/key -out signed/csr \
	    >> openssl.out 2>&1 &&
	printf 'subjectAltName=DNS:mx.ca.test\n' > signed/ext &&
	openssl x509 -req -in signed/csr -CA ca/crt -CAkey ca/key \
	    -CAcreateserial -days 2 -extfile signed/ext -out signed/crt \
	    >> openssl.out 2>&1 || qp_fail "openssl failed" openssl.out
}

atf_test_case tls_verify cleanup
tls_verify_head() {
	atf_set "descr" "tlsdestinations verify: a self-signed certificate or an unknown CA is refused, the trusted CA's delivers"
	atf_set "require.user" "unprivileged"
}
tls_verify_body() {
	setup --mx-host=self.test,mx.self.test,10 \
	    --mx-host=ca.test,mx.ca.test,10 \
	    --host-record=mx.self.test,127.0.0.4 \
	    --host-record=mx.ca.test,127.0.0.5
	mkcerts
	rm_peer_start self 127.0.0.4 "$PORT" --cert self/crt --key self/key
	rm_peer_start signed 127.0.0.5 "$PORT" --cert signed/crt \
	    --key signed/key
	printf 'self.test:verify\nca.test:verify\n' > control/tlsdestinations
	echo "$PWD/ca/crt" > control/tlscafile
	rm_remote self.test s@sender.test a@self.test
	rm_expect "Z ^4\.7\.5 .*TLS handshake failed"
	rm control/tlscafile
	rm_remote ca.test s@sender.test a@ca.test
	rm_expect "Z ^4\.7\.5 .*TLS handshake failed"
	[ "$(rm_mails self)" -eq 0 ] && [ "$(rm_mails signed)" -eq 0 ] ||
	    atf_fail "a message went to an unverified server"
	echo "$PWD/ca/crt" > control/tlscafile
	rm_remote ca.test s@sender.test a@ca.test
	rm_expect "K ^2\.0\.0 mx\.ca\.test"
	grep -q "mx=mx.ca.test .*tls=TLSv1.[23] verified=yes" remote.log ||
	    qp_fail "the log does not say the certificate was verified" \
	    remote.log
	grep -q "tls=1" signed/mail/*.env || atf_fail "not sent over TLS"
	# the right CA, the wrong name: the relay is named by its address
	echo "ca.test:127.0.0.5:$PORT" > control/smtproutes
	rm_remote ca.test s@sender.test a@ca.test
	rm_expect "Z ^4\.7\.5 .*TLS handshake failed"
	[ "$(rm_mails signed)" -eq 1 ] || atf_fail "want exactly one delivery"
}
tls_verify_cleanup() {
	rm_peers_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case preference
	atf_add_test_case fallback
	atf_add_test_case shuffle
	atf_add_test_case implicit_mx
	atf_add_test_case no_mail
	atf_add_test_case loops_back
	atf_add_test_case dead_host
	atf_add_test_case tls_verify
	atf_add_test_case idn
}
