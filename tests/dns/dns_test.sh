#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# dns: lib/dns.c against a real DNS server (dnsmasq, tests/dns.sh),
# through the test driver tests/dns/dnsq: MX order and shuffle, the
# answers that say "no" (NXDOMAIN, NODATA, null MX) and the one that
# says "later" (SERVFAIL), AAAA and A, CNAME, the generic query of A,
# AAAA and TXT records (dns_query), and control/resolvers with ports,
# IPv6 and mistakes.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# setup - a control folder of our own; the test driver in $DNSQ.
setup() {
	DNSQ=$(atf_get_srcdir)/dnsq
	[ -x "$DNSQ" ] || atf_fail "$DNSQ is not built: run make"
	QPOST_CONTROL=$PWD/control
	export QPOST_CONTROL
	mkdir -p "$QPOST_CONTROL"
}

# dns_case NAME DESCRIPTION - a test case with a cleanup that stops
# the DNS servers, run as the unprivileged user as remote will be.
dns_case() {
	atf_test_case "$1" cleanup
	eval "$1_head() {
		atf_set descr '$2'
		atf_set require.user unprivileged
		atf_set timeout 60
	}
	$1_cleanup() {
		qp_dns_stop
	}"
}

dns_case mx_order "MX hosts come sorted by preference, whatever order" \
    "the server gives"
mx_order_body() {
	setup
	qp_dns_start --mx-host=order.test,mx3.order.test,30 \
	    --mx-host=order.test,mx1.order.test,10 \
	    --mx-host=order.test,mx2.order.test,20
	atf_check -o inline:"10 mx1.order.test\n20 mx2.order.test\n30 mx3.order.test\n" \
	    "$DNSQ" mx order.test
	# upper case and a trailing dot name the same domain
	atf_check -o inline:"10 mx1.order.test\n20 mx2.order.test\n30 mx3.order.test\n" \
	    "$DNSQ" mx ORDER.Test.
	qp_dns_stop
}

dns_case mx_shuffle "MX hosts of equal preference come in both orders" \
    "over 40 lookups, after the better one"
mx_shuffle_body() {
	setup
	qp_dns_start --mx-host=eq.test,mxa.eq.test,10 \
	    --mx-host=eq.test,mxb.eq.test,10 --mx-host=eq.test,mx0.eq.test,5 \
	    --mx-host=eq.test,mxz.eq.test,20
	"$DNSQ" -n 40 mx eq.test > out || atf_fail "dnsq failed"
	[ "$(wc -l < out)" -eq 160 ] || atf_fail "not 4 MX in each of 40 runs"
	# each run: mx0 first, mxa and mxb in either order, mxz last
	awk 'NR % 4 == 1 && $0 != "5 mx0.eq.test" { exit 1 }
	    NR % 4 == 0 && $0 != "20 mxz.eq.test" { exit 1 }' out ||
	    atf_fail "preferences out of order: $(head -n 4 out)"
	a=$(awk 'NR % 4 == 2 && $2 == "mxa.eq.test"' out | wc -l)
	b=$(awk 'NR % 4 == 2 && $2 == "mxb.eq.test"' out | wc -l)
	[ $((a + b)) -eq 40 ] || atf_fail "second place is not mxa or mxb"
	[ "$a" -gt 0 ] && [ "$b" -gt 0 ] ||
	    atf_fail "no shuffle: mxa first $a times, mxb first $b times"
	qp_dns_stop
}

dns_case nxdomain "a name that does not exist is NXDOMAIN, for MX and" \
    "for addresses"
nxdomain_body() {
	setup
	qp_dns_start --mx-host=exists.test,mx.exists.test,10
	atf_check -o inline:"NXDOMAIN\n" "$DNSQ" mx nosuch.test
	atf_check -o inline:"NXDOMAIN\n" "$DNSQ" addrs nosuch.test
	# a name that cannot be a host name never reaches the server
	atf_check -o inline:"NXDOMAIN\nNXDOMAIN\nNXDOMAIN\n" \
	    "$DNSQ" mx "a..test" "bad name.test" ""
	qp_dns_stop
}

dns_case nodata "a domain with an A record and no MX is NODATA for MX," \
    "and its address is found"
nodata_body() {
	setup
	qp_dns_start --host-record=aonly.test,127.0.0.5
	atf_check -o inline:"NODATA\n" "$DNSQ" mx aonly.test
	atf_check -o inline:"127.0.0.5\n" "$DNSQ" addrs aonly.test
	# an MX host without addresses
	qp_dns_stop
	qp_dns_start --mx-host=noaddr.test,mx.noaddr.test,10 \
	    --txt-record=mx.noaddr.test,"exists"
	atf_check -o inline:"NODATA\n" "$DNSQ" addrs mx.noaddr.test
	qp_dns_stop
}

dns_case nullmx "the RFC 7505 null MX (preference 0, exchange \".\") is" \
    "NULLMX"
nullmx_body() {
	setup
	qp_dns_start --mx-host=nullmx.test,.,0 \
	    --dns-rr=rawnull.test,15,000000
	atf_check -o inline:"NULLMX\n" "$DNSQ" mx nullmx.test
	atf_check -o inline:"NULLMX\n" "$DNSQ" mx rawnull.test
	qp_dns_stop
}

dns_case servfail "SERVFAIL is a temporary failure, seen within seconds"
servfail_body() {
	setup
	qp_dns_start --mx-host=ok.test,mx.ok.test,10
	start=$(date +%s)
	atf_check -o match:"^TEMP " "$DNSQ" mx x.servfail.test
	atf_check -o match:"^TEMP " "$DNSQ" addrs mx.servfail.test
	end=$(date +%s)
	[ $((end - start)) -le 5 ] ||
	    atf_fail "SERVFAIL took $((end - start)) s to see"
	grep -q "reply error is SERVFAIL" "$QP_DNS_DIR/dnsmasq.log" ||
	    qp_fail "dnsmasq did not pass a SERVFAIL on" \
	    "$QP_DNS_DIR/dnsmasq.log"
	qp_dns_stop
}

dns_case aaaa_and_a "a host with AAAA and A records gives both, AAAA" \
    "first"
aaaa_and_a_body() {
	setup
	qp_dns_start --host-record=dual.test,127.0.0.7,2001:db8::7 \
	    --host-record=dual.test,127.0.0.8 --host-record=v6only.test,::1
	atf_check -o inline:"2001:db8::7\n127.0.0.7\n127.0.0.8\n" \
	    "$DNSQ" addrs dual.test
	atf_check -o inline:"::1\n" "$DNSQ" addrs v6only.test
	qp_dns_stop
}

dns_case cname "an MX lookup of an alias gives the MX of its target;" \
    "addresses follow the CNAME too"
cname_body() {
	setup
	qp_dns_start --mx-host=target.test,mx.target.test,10 \
	    --host-record=target.test,127.0.0.9 \
	    --cname=alias.test,target.test
	atf_check -o inline:"10 mx.target.test\n" "$DNSQ" mx alias.test
	atf_check -o inline:"127.0.0.9\n" "$DNSQ" addrs alias.test
	qp_dns_stop
}

dns_case generic "dns_query: A, AAAA and TXT records (the strings of a TXT record joined), none for good (NXDOMAIN, NODATA), and later (TEMP)"
generic_body() {
	setup
	qp_dns_start --host-record=h.gen.test,192.0.2.7,2001:db8::7 \
	    --txt-record=gen.test,"v=spf1 -all" \
	    --txt-record=two.gen.test,"v=DKIM1; k=rsa; ","p=AAAA" \
	    --txt-record=many.gen.test,one --txt-record=many.gen.test,two
	atf_check -o inline:"192.0.2.7\n" "$DNSQ" a h.gen.test
	atf_check -o inline:"2001:db8::7\n" "$DNSQ" aaaa H.Gen.Test.
	atf_check -o inline:"11 v=spf1 -all\n" "$DNSQ" txt gen.test
	atf_check -o inline:"22 v=DKIM1; k=rsa; p=AAAA\n" "$DNSQ" -t 3 \
	    txt two.gen.test
	"$DNSQ" txt many.gen.test | sort > out || atf_fail "dnsq failed"
	atf_check -o inline:"3 one\n3 two\n" cat out
	atf_check -o inline:"NODATA\n" "$DNSQ" txt h.gen.test
	atf_check -o inline:"NODATA\n" "$DNSQ" a gen.test
	atf_check -o inline:"NXDOMAIN\n" "$DNSQ" txt nosuch.gen.test
	atf_check -o match:"^TEMP " "$DNSQ" -t 2 txt x.servfail.test
	qp_dns_stop
}

dns_case resolvers_port "control/resolvers with comments, blank lines and" \
    "a port is what the resolver uses"
resolvers_port_body() {
	setup
	qp_dns_start --mx-host=port.test,mx.port.test,10
	printf '# the test server\n\n   127.0.0.1:%s  \n' "$QP_DNS_PORT" \
	    > control/resolvers
	atf_check -o inline:"127.0.0.1:$QP_DNS_PORT\n" "$DNSQ" servers
	atf_check -o inline:"10 mx.port.test\n" "$DNSQ" mx port.test
	grep -q "query\[MX\] port.test from 127.0.0.1" \
	    "$QP_DNS_DIR/dnsmasq.log" ||
	    qp_fail "dnsmasq saw no query" "$QP_DNS_DIR/dnsmasq.log"
	# an empty file, or one of comments, is as if absent:
	# /etc/resolv.conf's servers, port 53
	printf '# nothing\n\n' > control/resolvers
	atf_check -o match:":53$" "$DNSQ" servers
	qp_dns_stop
}

dns_case resolvers_ipv6 "an IPv6 resolver in brackets, with a port, is" \
    "asked over IPv6"
resolvers_ipv6_body() {
	setup
	qp_need_ipv6
	qp_dns_start -6 --mx-host=six.test,mx.six.test,10 \
	    --host-record=mx.six.test,127.0.0.6,::6
	echo "[::1]:$QP_DNS_PORT" > control/resolvers
	atf_check -o inline:"[::1]:$QP_DNS_PORT\n" "$DNSQ" servers
	atf_check -o inline:"10 mx.six.test\n" "$DNSQ" mx six.test
	atf_check -o inline:"::6\n127.0.0.6\n" "$DNSQ" addrs mx.six.test
	grep -q "query\[MX\] six.test from ::1" "$QP_DNS_DIR/dnsmasq.log" ||
	    qp_fail "dnsmasq saw no query over IPv6" "$QP_DNS_DIR/dnsmasq.log"
	# a dead server first: the resolver goes on to the next one
	printf '[::1]:%s\n127.0.0.1:%s\n' "$(qp_free_port ::1)" \
	    "$QP_DNS_PORT" > control/resolvers
	atf_check -o inline:"10 mx.six.test\n" "$DNSQ" mx six.test
	qp_dns_stop
}

atf_test_case resolvers_malformed
resolvers_malformed_head() {
	atf_set "descr" "a malformed control/resolvers is refused with one" \
	    "log line naming the file and line"
}
resolvers_malformed_body() {
	setup
	while IFS='|' read -r content line why; do
		printf "$content" > control/resolvers
		atf_check -s exit:111 -o empty \
		    -e match:"control file resolvers: line $line: .*$why" \
		    "$DNSQ" mx example.test
	done <<'EOF'
127.0.0.1:0\n|1|port
# ok\n\n127.0.0.1:53x\n|3|port
::1\n|1|brackets
[::1\n|1|no ']'
[::1]x\n|1|junk
[::1]:\n|1|port
1.2.3\n|1|not an IPv4 address
[1.2.3.4]\n|1|not an IPv6 address
example.test\n|1|not an IPv4 address
127.0.0.1 # the test server\n|1|not an IPv4 address
127.0.0.1\n127.0.0.2\n127.0.0.3\n127.0.0.4\n|4|more than 3
EOF
	# a NUL byte, and a line too long, go through control/ctl.h's checks
	printf '127.0.0.1\000\n' > control/resolvers
	atf_check -s exit:111 -o empty -e match:"resolvers.*NUL" \
	    "$DNSQ" mx example.test
	head -c 2000 /dev/zero | tr '\0' 1 > control/resolvers
	atf_check -s exit:111 -o empty \
	    -e match:"control file resolvers: line 1: longer than" \
	    "$DNSQ" mx example.test
}

atf_init_test_cases() {
	atf_add_test_case mx_order
	atf_add_test_case mx_shuffle
	atf_add_test_case nxdomain
	atf_add_test_case nodata
	atf_add_test_case nullmx
	atf_add_test_case servfail
	atf_add_test_case aaaa_and_a
	atf_add_test_case cname
	atf_add_test_case generic
	atf_add_test_case resolvers_port
	atf_add_test_case resolvers_ipv6
	atf_add_test_case resolvers_malformed
}
