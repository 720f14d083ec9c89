#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/clientaccess: clients refused (550 5.7.1), deferred
# (450 4.7.1) or spared the other client checks ("ok") by address or
# network, longest prefix first, and by forward-confirmed name or parent
# domain, which comes before the address; rules by name make smtpd look
# names up by themselves.  Each client is its own loopback address; the
# names come from a real DNS server (dnsmasq).  Relay clients pass; a
# table whose text is newer than its cdb defers everyone else (451)
# until qcdb has run.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# mail FROM REPLY - from the client address FROM, one MAIL expecting
# REPLY (into ./FROM.d, played at once)
mail() {
	printf '%s\n' "< 220" "> EHLO client.test" "< 250" \
	    "> MAIL FROM:<sender@client.test>" "< $2" "> QUIT" "< 221" \
	    "<eof" > "$1.d"
	QP_SMTP_BIND=$1 qp_smtp_dialog "$1.d" "$1.out"
}

# mails - mail() for each "FROM|REPLY" line of the standard input
mails() {
	while IFS='|' read -r ip want; do
		mail "$ip" "$want"
	done
}

# logged LINE... - smtpd.log has each fixed string
logged() {
	for _l in "$@"; do
		grep -qF "$_l" "$QP_DIR/smtpd.log" ||
		    qp_fail "not logged: $_l" "$QP_DIR/smtpd.log"
	done
}

# qcdb_access - compile control/clientaccess
qcdb_access() {
	atf_check "$QPOST_LIBEXEC/qcdb" clientaccess
}

atf_test_case by_address cleanup
by_address_head() {
	atf_set "descr" "rules by address and network: the longest prefix" \
	    "decides, reject is 550 5.7.1 and defer 450 4.7.1 at MAIL with" \
	    "the rule's text or the default, each logged; no name lookup;" \
	    "relay clients pass; a stale cdb defers with 451 4.3.0"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
by_address_body() {
	qp_smtpd_instance "$PWD/inst"
	cat > "$QPOST_CONTROL/clientaccess" <<'EOF2'
# no text: "Client host rejected: Access denied"
127.0.0.3	reject
127.0.0.4 defer  Come back  later
127.0.0.0/24 reject Not from this network
127.0.0.2/32 ok
EOF2
	qcdb_access
	qp_smtpd_start
	mails <<'EOF2'
127.0.0.2|250 2.1.0
127.0.1.1|250 2.1.0
127.0.0.3|550 5.7.1 Client host rejected: Access denied
127.0.0.4|450 4.7.1 Come back  later
127.0.0.6|550 5.7.1 Not from this network
EOF2
	logged 'ip=127.0.0.3 access=reject rule=127.0.0.3/32' \
	    'ip=127.0.0.3 refused client=unknown reason=access rule=127.0.0.3/32' \
	    'ip=127.0.0.4 deferred client=unknown reason=access rule=127.0.0.4/32' \
	    'ip=127.0.0.6 refused client=unknown reason=access rule=127.0.0.0/24' \
	    'ip=127.0.0.2 access=ok rule=127.0.0.2/32'
	grep -q 'ip=127\.0\.1\.1 .*access' "$QP_DIR/smtpd.log" &&
	    qp_fail "a client without a rule was given one" "$QP_DIR/smtpd.log"
	# no rule by name: no name looked up
	grep -q 'ptr=' "$QP_DIR/smtpd.log" &&
	    qp_fail "a name was looked up for rules by address" \
	    "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	# the site's own clients are never refused
	qp_smtpd_start RELAYCLIENT=
	mail 127.0.0.3 "250 2.1.0"
	qp_stop "$QP_DIR"
	# an edit without qcdb: no old list, everyone else waits
	echo '127.0.0.9 reject' >> "$QPOST_CONTROL/clientaccess"
	touch -d '-10 seconds' "$QPOST_CONTROL/clientaccess.cdb"
	qp_smtpd_start
	mail 127.0.1.1 "451 4.3.0 Client access rules unavailable"
	logged 'control/clientaccess.cdb is older than control/clientaccess: run qcdb clientaccess' \
	    'ip=127.0.1.1 access=unchecked reason=control_broken' \
	    'ip=127.0.1.1 deferred client=unknown reason=access_broken'
	qcdb_access
	mail 127.0.1.1 "250 2.1.0"
	# the new line's own rule, not its network's: the new cdb is read
	mail 127.0.0.9 "550 5.7.1 Client host rejected: Access denied"
	qp_stop "$QP_DIR"
}
by_address_cleanup() {
	qp_stop
}

atf_test_case by_name cleanup
by_name_head() {
	atf_set "descr" "rules by name under smtpd -L: a confirmed name," \
	    "then its parent domains (.domain, not the domain itself)," \
	    "before the address; an unconfirmed PTR name matches nothing;" \
	    "the table alone makes the lookups; ok spares the DNSBL and" \
	    "rejectunknownclient"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "90"
}
by_name_body() {
	qp_smtpd_instance "$PWD/inst"
	# 127.0.0.2 mx1.bad.test, confirmed; 127.0.0.3 mx2.bad.test, whose
	# A is elsewhere; 127.0.0.4 bad.test; 127.0.0.5 ok.bad.test, and
	# listed in bl.test as 127.0.0.6 (no PTR) is
	qp_dns_start --host-record=mx1.bad.test,127.0.0.2 \
	    --ptr-record=3.0.0.127.in-addr.arpa,mx2.bad.test \
	    --host-record=mx2.bad.test,127.0.0.30 \
	    --host-record=bad.test,127.0.0.4 \
	    --host-record=ok.bad.test,127.0.0.5 \
	    --host-record=5.0.0.127.bl.test,127.0.0.2 \
	    --host-record=6.0.0.127.bl.test,127.0.0.2
	cat > "$QPOST_CONTROL/clientaccess" <<'EOF2'
.BAD.test reject Not from bad.test
ok.bad.test ok
127.0.0.5 reject
127.0.0.3 ok
EOF2
	qcdb_access
	qp_smtpd_listen l 127.0.0.1
	QP_SMTP_HOST=127.0.0.1 QP_SMTP_PORT=$(cat l.port)
	export QP_SMTP_HOST QP_SMTP_PORT
	mails <<'EOF2'
127.0.0.2|550 5.7.1 Not from bad.test
127.0.0.3|250 2.1.0
127.0.0.4|250 2.1.0
127.0.0.5|250 2.1.0
EOF2
	logged 'connect ip=127.0.0.2 host=mx1.bad.test ptr=mx1.bad.test' \
	    'ip=127.0.0.2 refused client=mx1.bad.test reason=access rule=.bad.test' \
	    'ip=127.0.0.3 access=ok rule=127.0.0.3/32' \
	    'ip=127.0.0.5 access=ok rule=ok.bad.test'
	grep -q 'ip=127\.0\.0\.4 .*access' "$QP_DIR/smtpd.log" &&
	    qp_fail "bad.test matched .bad.test" "$QP_DIR/smtpd.log"
	# now with the checks "ok" spares: the DNSBL at the greeting and
	# rejectunknownclient (read by each new session)
	echo 2 > "$QPOST_CONTROL/rejectunknownclient"
	echo bl.test > "$QPOST_CONTROL/dnsbl"
	echo connect > "$QPOST_CONTROL/dnsblrefuse"
	mails <<'EOF2'
127.0.0.3|250 2.1.0
127.0.0.5|250 2.1.0
EOF2
	printf '%s\n' "< 554 5.7.1" "> QUIT" "< 221" "<eof" > listed.d
	QP_SMTP_BIND=127.0.0.6 qp_smtp_dialog listed.d listed.out
	grep -q 'SIGSYS\|signal 31' "$QP_DIR/smtpd.log" &&
	    qp_fail "a session met its system call filter" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	qp_dns_stop
}
by_name_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case by_address
	atf_add_test_case by_name
}
