# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# sts_ns.sh SRCDIR CASE - one case of sts_test, run by it inside a user
# and network namespace of its own (unshare --user --net --keep-caps,
# the uid kept): there the policy's HTTPS server may listen on port
# 443 of a loopback address, where RFC 8461 puts it, without root, and
# dnsmasq, the SMTP peer and remote run beside it.  Not an atf-sh
# program: atf_fail writes its reason to ./ns.fail and exits 1, for
# sts_test to report.  Every server it starts it stops on its way out.

SRCDIR=$1
CASE=$2
atf_get_srcdir() { echo "$SRCDIR"; }
atf_fail() { echo "$*" > "$PWD/ns.fail"; exit 1; }
. "$SRCDIR/../lib.sh"
. "$SRCDIR/../dns.sh"
. "$SRCDIR/../dnssec.sh"
. "$SRCDIR/remote.sh"

# stop_all - the servers of this case (also on a failure's exit)
stop_all() {
	[ -s web/pid ] && kill "$(cat web/pid)" 2>/dev/null
	rm_peers_stop
	qp_dns_stop
	qp_dnssec_stop
}
trap stop_all EXIT

ip link set lo up || atf_fail "cannot bring lo up in the namespace"

# setup - a test CA with certificates for mx.sts.test and
# mta-sts.sts.test, the peer "p" (STARTTLS with the MX's certificate)
# on 127.0.0.2, the policy's server on 127.0.0.3:443 serving
# ./web/policy, control files for the policy sts, and a queue with the
# cache folder.
setup() {
	rm_control
	QPOST_QUEUE=$PWD/queue
	export QPOST_QUEUE
	mkdir -p queue/sts web
	qp_mkca "$PWD/ca"
	qp_mkcert_signed "$PWD/ca" mx.sts.test
	qp_mkcert_signed "$PWD/ca" mta-sts.sts.test
	qp_mkcert "$PWD/ca"		# self-signed, for mx.example.test
	echo "$PWD/ca/ca.crt" > control/tlscafile
	echo "sts.test:sts" > control/tlsdestinations
	PORT=$(qp_free_port 127.0.0.2)
	echo "$PORT" > control/remoteport
	peer_start ca/mx.sts.test
	/usr/bin/python3 "$SRCDIR/sts_https.py" --listen 127.0.0.3:443 \
	    --cert ca/mta-sts.sts.test.crt --key ca/mta-sts.sts.test.key \
	    --dir "$PWD/web" >> web/stderr 2>&1 &
	qp_deadline_loop 20 test -e web/ready ||
	    qp_fail "the HTTPS server did not start" web/stderr
	qp_msg 1 > msg
}

# peer_start CERT - (re)start the peer "p" with CERT.crt and CERT.key
peer_start() {
	rm_peers_stop
	rm -rf p
	rm_peer_start p 127.0.0.2 "$PORT" --cert "$1.crt" --key "$1.key"
	rm_mode p good
}

# dns [ID] - (re)start dnsmasq: sts.test's MX mx.sts.test, the policy
# host mta-sts.sts.test, and with ID the TXT record "v=STSv1; id=ID"
dns() {
	qp_dns_stop
	rm -rf dns
	qp_dns_start --mx-host=sts.test,mx.sts.test,10 \
	    --host-record=mx.sts.test,127.0.0.2 \
	    --host-record=mta-sts.sts.test,127.0.0.3 \
	    ${1:+"--txt-record=_mta-sts.sts.test,v=STSv1; id=$1"}
}

# policy MODE MX... - what the server serves
policy() {
	_mode=$1
	shift
	{
		echo "version: STSv1"
		echo "mode: $_mode"
		for _mx in "$@"; do
			echo "mx: $_mx"
		done
		echo "max_age: 86400"
	} > web/policy
}

# send - run remote for a@sts.test, its log appended to ./all.log
send() {
	rm_remote sts.test sender@sender.test a@sts.test
	cat remote.log >> all.log
}

# requests - how many policy fetches the server answered
requests() {
	[ -f web/requests ] || { echo 0; return; }
	wc -l < web/requests
}

# log_has PATTERN - remote.log must match the grep -E PATTERN
log_has() {
	grep -Eq -- "$1" remote.log || qp_fail "the log lacks: $1" remote.log
}

case_enforce() {
	setup
	dns 20261202
	policy enforce mx.sts.test
	send
	rm_expect "K ^2\.0\.0 mx\.sts\.test\[127\.0\.0\.2\] said: 250"
	log_has "MTA-STS policy 20261202 fetched: mode=enforce max_age=86400 mx=1"
	log_has "mx=mx\.sts\.test ip=127\.0\.0\.2 port=$PORT tls=TLSv1\.[23] verified=yes sts=enforce"
	[ "$(requests)" -eq 1 ] || atf_fail "want 1 fetch, got $(requests)"
	grep -q "^GET /.well-known/mta-sts.txt HTTP/1.0$" web/requests ||
	    qp_fail "not the GET of RFC 8461 3.3" web/requests
	head -n 1 queue/sts/sts.test | grep -Eq '^qpost-sts 1 [0-9]+ 20261202 [0-9]+$' ||
	    qp_fail "no policy in the cache" queue/sts/sts.test
	# a wildcard pattern names the host too
	rm -f queue/sts/sts.test
	policy enforce other.sts.test "*.sts.test"
	send
	rm_expect "K ^2\.0\.0"
	log_has "verified=yes sts=enforce"
	# no cache folder: the policy is fetched for each delivery, said
	rm -rf queue/sts
	send
	rm_expect "K ^2\.0\.0"
	log_has "warning: MTA-STS: unable to open the policy cache in $PWD/queue/sts: No such file or directory"
	log_has "verified=yes sts=enforce"
}

case_enforce_refuses() {
	setup
	dns 1
	# the MX's certificate does not chain to the CA
	peer_start ca/tls
	policy enforce mx.sts.test
	send
	rm_expect "Z ^4\.7\.5 mx\.sts\.test\[127\.0\.0\.2\]: TLS handshake failed"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "a message went over TLS that failed"
	# the policy does not name the MX: not even a connection
	peer_start ca/mx.sts.test
	rm -f queue/sts/sts.test
	policy enforce mx.other.test "*.mx.sts.test"
	send
	rm_expect "Z ^4\.7\.5 mx\.sts\.test is not an MX host the MTA-STS policy of sts\.test names"
	log_has "mx=mx\.sts\.test skipped: not named by the domain's MTA-STS policy \(enforce\)"
	[ "$(grep -c ' connect mode=' p/log)" -eq 0 ] ||
	    qp_fail "remote connected to an MX the policy excludes" p/log
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "the excluded MX got the message"
}

case_testing() {
	setup
	dns 7
	peer_start ca/tls
	policy testing mx.other.test
	send
	rm_expect "K ^2\.0\.0 mx\.sts\.test\[127\.0\.0\.2\] said: 250"
	log_has "mx=mx\.sts\.test is not named by the MTA-STS policy, which is in mode testing: tried"
	log_has "tls=TLSv1\.[23] verified=no sts=testing"
}

case_cache() {
	setup
	dns 1
	policy enforce mx.sts.test
	send
	rm_expect "K ^2\.0\.0"
	# the TXT record stripped and the server broken, as an attacker
	# on the path could: the cached policy still holds
	dns
	echo "HTTP/1.0 500 Oops" > web/response
	peer_start ca/tls
	send
	rm_expect "Z ^4\.7\.5 mx\.sts\.test\[127\.0\.0\.2\]: TLS handshake failed"
	[ "$(requests)" -eq 1 ] || atf_fail "want no fetch without a TXT record"
	# a new id: fetched again; the server fails, the cache holds
	dns 2
	send
	rm_expect "Z ^4\.7\.5"
	log_has "MTA-STS policy 2 not fetched \(mta-sts\.sts\.test: an HTTP status other than 200\): the cached policy 1 holds"
	# it serves the new policy: testing now
	rm web/response
	policy testing mx.sts.test
	send
	rm_expect "K ^2\.0\.0"
	log_has "MTA-STS policy 2 fetched: mode=testing"
	log_has "verified=no sts=testing"
	[ "$(requests)" -eq 3 ] || atf_fail "want 3 fetches, got $(requests)"
	# a cache file cut short is no cache
	_head=$(head -n 1 queue/sts/sts.test)
	printf '%s\nversion: STSv1\n' "$_head" > queue/sts/sts.test
	send
	log_has "MTA-STS policy 2 fetched"
}

# bad WANT LINE... - the server answers LINE... (each ended by CRLF):
# no policy, the words WANT in the log, delivered as without one
bad() {
	_want=$1
	shift
	printf '%s\r\n' "$@" > web/response
	rm -f queue/sts/sts.test
	send
	rm_expect "K ^2\.0\.0"
	log_has "MTA-STS policy 9 not fetched \(mta-sts\.sts\.test: $_want\) and none cached: delivered as without one"
	grep -q 'sts=' remote.log &&
	    qp_fail "a broken policy was applied" remote.log
	return 0
}

case_bad_policy() {
	setup
	dns 9
	ok="HTTP/1.0 200 OK"
	type="Content-Type: text/plain"
	bad "a redirect, which RFC 8461 3.3 forbids following" \
	    "HTTP/1.0 301 Moved" "Location: https://mta-sts.sts.test/x" ""
	bad "an HTTP status other than 200" "HTTP/1.1 404 Not Found" "$type" ""
	bad "a Content-Type other than text/plain" "$ok" \
	    "Content-Type: text/html" "" "version: STSv1"
	bad "no Content-Type \\(RFC 8461 3\\.2 wants text/plain\\)" "$ok" "" \
	    "version: STSv1"
	bad "no mx line" "$ok" "$type" "" "version: STSv1" "mode: enforce" \
	    "max_age: 86400"
	bad "no max_age" "$ok" "$type" "" "version: STSv1" "mode: enforce" \
	    "mx: mx.sts.test"
	bad "a mode other than enforce, testing or none" "$ok" "$type" "" \
	    "version: STSv1" "mode: strict" "mx: mx.sts.test" "max_age: 1"
	bad "a Transfer-Encoding, which HTTP/1.0 does not have" "$ok" "$type" \
	    "Transfer-Encoding: chunked" "" "0"
	bad "a body of another length than its Content-Length" "$ok" "$type" \
	    "Content-Length: 500" "" "version: STSv1"
	bad "not an HTTP/1 response" "garbage"
	# the policy server's certificate does not verify
	kill "$(cat web/pid)"
	rm -f web/ready web/response
	/usr/bin/python3 "$SRCDIR/sts_https.py" --listen 127.0.0.3:443 \
	    --cert ca/tls.crt --key ca/tls.key --dir "$PWD/web" \
	    >> web/stderr 2>&1 &
	qp_deadline_loop 20 test -e web/ready ||
	    qp_fail "the HTTPS server did not start" web/stderr
	policy enforce mx.sts.test
	send
	rm_expect "K ^2\.0\.0"
	log_has "MTA-STS policy 9 not fetched \(mta-sts\.sts\.test: .*(certificate|verify)"
}

case_hostile_server() {
	setup
	dns 5
	# a policy a byte every half second: given up after timeoutconnect
	policy enforce mx.sts.test
	: > web/drip
	send
	rm_expect "K ^2\.0\.0"
	log_has "MTA-STS policy 5 not fetched \(mta-sts\.sts\.test: no whole response in time \(control/timeoutconnect\)\) and none cached"
	rm web/drip
	# an endless answer: cut at 80 KiB
	{
		printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n'
		head -c 100000 /dev/zero | tr '\0' 'x'
	} > web/response
	send
	rm_expect "K ^2\.0\.0"
	log_has "MTA-STS policy 5 not fetched \(mta-sts\.sts\.test: a response over 80 KiB\)"
	# no server on 443 at all
	kill "$(cat web/pid)"
	closed() { ! qp_port_open 127.0.0.3 443; }
	qp_deadline_loop 10 closed || atf_fail "the HTTPS server did not stop"
	send
	rm_expect "K ^2\.0\.0"
	log_has "MTA-STS policy 5 not fetched \(mta-sts\.sts\.test: connect: Connection refused\)"
}

case_dane() {
	setup
	echo "sts.test:dane" > control/tlsdestinations
	# sts.test is not signed: DANE does not apply, MTA-STS does
	dns 4
	policy enforce mx.sts.test
	send
	rm_expect "K ^2\.0\.0"
	log_has "verified=yes sts=enforce"
	rm -f queue/sts/sts.test
	policy enforce mx.other.test
	send
	rm_expect "Z ^4\.7\.5 mx\.sts\.test is not an MX host the MTA-STS policy of sts\.test names"
	# signed, with a TLSA record of the MX: DANE decides, the policy
	# (which names another MX) is not even fetched
	qp_dns_stop
	rm -f queue/sts/sts.test
	_n=$(requests)
	qp_dnssec_zone sts.test signed "@ IN MX 10 mx" "mx IN A 127.0.0.2" \
	    "mta-sts IN A 127.0.0.3" '_mta-sts IN TXT "v=STSv1; id=5"' \
	    "_$PORT._tcp.mx IN TLSA 3 1 1 $(qp_tlsa_spki sha256 ca/mx.sts.test.crt)"
	qp_dnssec_start
	send
	rm_expect "K ^2\.0\.0"
	log_has "verified=yes dane=ee time="
	[ "$(requests)" -eq "$_n" ] || atf_fail "a policy fetched where DANE applies"
}

case_no_policy() {
	setup
	dns
	policy enforce mx.other.test
	send
	rm_expect "K ^2\.0\.0"
	grep -Eq 'sts=|MTA-STS' remote.log &&
	    qp_fail "MTA-STS without a TXT record" remote.log
	[ "$(requests)" -eq 0 ] || atf_fail "a fetch without a TXT record"
}

"case_$CASE"
