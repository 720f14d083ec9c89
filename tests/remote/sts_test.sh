#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# MTA-STS (RFC 8461) in the remote sender, under the tlsdestinations
# policy "sts": `remote' runs directly, finds the MX of sts.test and
# the TXT record _mta-sts.sts.test through dnsmasq, fetches the policy
# from https://mta-sts.sts.test/.well-known/mta-sts.txt (sts_https.py
# on port 443, with a certificate from a test CA) and delivers to a
# test SMTP server (hostile_peer.py) with STARTTLS.  Port 443 takes no
# root here: each case runs in a user and network namespace of its own
# (sts_ns.sh holds the cases; see there).

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"
. "$(atf_get_srcdir)/../dnssec.sh"
. "$(atf_get_srcdir)/remote.sh"

# needs [PROG...] - what every case needs, and the programs given.
needs() {
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "unshare ip openssl $*"
	atf_set "timeout" "120"
}

# in_ns CASE - sts_ns.sh's CASE in a namespace; its failure is ours.
in_ns() {
	unshare --user --map-current-user --net --keep-caps true 2>ns.err ||
	    atf_skip "no user namespaces here: $(head -n 1 ns.err)"
	unshare --user --map-current-user --net --keep-caps \
	    /bin/sh "$(atf_get_srcdir)/sts_ns.sh" "$(atf_get_srcdir)" "$1" ||
	    qp_fail "$(cat ns.fail 2>/dev/null || echo "sts_ns.sh $1 failed")" \
	    remote.log
}

# stop_all - what a case left running (for cleanups)
stop_all() {
	[ -s web/pid ] && kill "$(cat web/pid)" 2>/dev/null
	rm_peers_stop
	qp_dns_stop
	qp_dnssec_stop
	return 0
}

atf_test_case enforce cleanup
enforce_head() {
	atf_set "descr" "mode enforce: the MX the policy names, verified TLS; the policy fetched once, cached"
	needs
}
enforce_body() {
	in_ns enforce
}
enforce_cleanup() {
	stop_all
}

atf_test_case enforce_refuses cleanup
enforce_refuses_head() {
	atf_set "descr" "mode enforce: an MX whose certificate fails, or that the policy does not name, gets nothing"
	needs
}
enforce_refuses_body() {
	in_ns enforce_refuses
}
enforce_refuses_cleanup() {
	stop_all
}

atf_test_case testing cleanup
testing_head() {
	atf_set "descr" "mode testing: delivered as without a policy, the failures logged"
	needs
}
testing_body() {
	in_ns testing
}
testing_cleanup() {
	stop_all
}

atf_test_case cache cleanup
cache_head() {
	atf_set "descr" "the cached policy holds without its TXT record and when a fetch fails; a new id fetches again"
	needs
}
cache_body() {
	in_ns cache
}
cache_cleanup() {
	stop_all
}

atf_test_case bad_policy cleanup
bad_policy_head() {
	atf_set "descr" "redirects, wrong types, broken policies and an untrusted server are no policy, logged"
	needs
}
bad_policy_body() {
	in_ns bad_policy
}
bad_policy_cleanup() {
	stop_all
}

atf_test_case hostile_server cleanup
hostile_server_head() {
	atf_set "descr" "a policy server that drips, sends too much or is not there costs a bounded wait, then no policy"
	needs
}
hostile_server_body() {
	in_ns hostile_server
}
hostile_server_cleanup() {
	stop_all
}

atf_test_case dane cleanup
dane_head() {
	atf_set "descr" "policy dane: MTA-STS where DNSSEC does not cover the domain, DANE alone where it does"
	needs unbound ldns-signzone
}
dane_body() {
	in_ns dane
}
dane_cleanup() {
	stop_all
}

atf_test_case sweep cleanup
sweep_head() {
	atf_set "descr" "qpost-start makes the cache folder; rspawn removes the files that hold no policy (empty, a day old) or an expired one (over a year), at its start and then periodically"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
sweep_body() {
	qp_instance "$PWD/inst"
	s=$QPOST_QUEUE/sts
	mkdir "$s"
	: > "$s/empty.old"
	: > "$s/empty.new"
	echo policy > "$s/kept.test"
	echo policy > "$s/expired.test"
	touch -d '2 days ago' "$s/empty.old"
	touch -d '400 days ago' "$s/expired.test"
	# every second here, for the test: once a day by default
	QPOST_STS_SWEEP_SECONDS=1 qp_start
	qp_wait_file_match "$QP_DIR/log" \
	    "sts: 2 MTA-STS cache files without a policy removed" 10
	atf_check -o inline:"empty.new\nkept.test\n" ls "$s"
	# and again later, while rspawn runs
	touch -d '2 days ago' "$s/empty.new"
	gone() { [ ! -e "$s/empty.new" ]; }
	qp_deadline_loop 10 gone ||
	    atf_fail "the periodic sweep did not remove an old empty file"
	atf_check -o inline:"kept.test\n" ls "$s"
	qp_stop "$QP_DIR"
	# a queue without the folder gets it
	rm -rf "$s"
	qp_start
	atf_check -o inline:"700\n" stat -c %a "$s"
	qp_stop "$QP_DIR"
}
sweep_cleanup() {
	qp_stop
}

atf_test_case no_policy cleanup
no_policy_head() {
	atf_set "descr" "no TXT record: no fetch, delivered as under may"
	needs
}
no_policy_body() {
	in_ns no_policy
}
no_policy_cleanup() {
	stop_all
}

atf_init_test_cases() {
	atf_add_test_case enforce
	atf_add_test_case enforce_refuses
	atf_add_test_case testing
	atf_add_test_case cache
	atf_add_test_case bad_policy
	atf_add_test_case hostile_server
	atf_add_test_case dane
	atf_add_test_case sweep
	atf_add_test_case no_policy
}
