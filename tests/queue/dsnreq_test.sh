#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# DSN requests (RFC 3461) from the injector to the notice: NOTIFY=SUCCESS
# told as delivered, relayed or expanded; NEVER and a list without
# FAILURE or DELAY keeping bounces and delay notices away; RET=HDRS
# returning the header only; ENVID and ORCPT given back decoded; and a
# success notice sent once across a crash of sched between its steps.
# The notices are checked with Python's email package (dsn_check.py).

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../remote/remote.sh"
. "$(atf_get_srcdir)/dsn.sh"

# inject ID ARGS... - message ID from bob, with qinject's ARGS.
inject() {
	qp_msg "$1" > "m.$1"
	_i_id=$1
	shift
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test "$@" \
	    < "m.$_i_id"
}

# aliases TEXT - control/aliases is TEXT, compiled by qcdb.
aliases() {
	printf '%s\n' "$1" > "$QPOST_CONTROL/aliases"
	"$QPOST_LIBEXEC/qcdb" aliases >>"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qcdb aliases failed" "$QP_DIR/qcdb.log"
}

atf_test_case delivered cleanup
delivered_head() {
	atf_set "descr" "NOTIFY=SUCCESS to a mailbox: the sender is told" \
	    "'delivered', with the header only and the ENVID decoded; a" \
	    "message that did not ask gets no notice"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
delivered_body() {
	qp_instance "$PWD/inst"
	qp_start
	inject d1 -N success -V "job 42+x=y" alice@example.test
	inject d2 alice@example.test
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	expect_notices "$QP_DIR/home/bob/Maildir" "Delivery report" 1
	dsn_ok "$(notices "$QP_DIR/home/bob/Maildir" "Delivery report")" \
	    --action delivered \
	    --to bob@example.test --headers --test-id d1 \
	    --rcpt alice@example.test=2.0.0 --envid "job 42+x=y"
	[ "$(nlog "to=<alice@example.test> success told notice=")" -eq 1 ] ||
	    qp_fail "no single 'success told' line"
}
delivered_cleanup() {
	qp_stop
}

atf_test_case failure_requests cleanup
failure_requests_head() {
	atf_set "descr" "a failed recipient whose NOTIFY says NEVER, or" \
	    "names no FAILURE, is not bounced; RET=HDRS bounces with the" \
	    "header only; no NOTIFY bounces the whole message"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
failure_requests_body() {
	qp_instance "$PWD/inst"
	qp_start
	inject n1 -N never nosuch1@example.test
	inject n2 -N success,delay nosuch2@example.test
	inject h1 -R hdrs nosuch3@example.test
	inject w1 nosuch4@example.test
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	[ "$(nlog "bounce not sent: its NOTIFY does not ask for one")" -eq 2 ] ||
	    qp_fail "not two recipients left unbounced by their NOTIFY"
	expect_notices "$QP_DIR/home/bob/Maildir" "Undelivered mail" 2
	for f in $(notices "$QP_DIR/home/bob/Maildir" "Undelivered mail"); do
		if grep -q '^X-Test-Id: h1' "$f"; then
			dsn_ok "$f" --action failed --to bob@example.test \
			    --headers --test-id h1 \
			    --rcpt nosuch3@example.test=5.1.1
		else
			dsn_ok "$f" --action failed --to bob@example.test \
			    --whole --test-id w1 \
			    --rcpt nosuch4@example.test=5.1.1
		fi
	done
}
failure_requests_cleanup() {
	qp_stop
}

atf_test_case expanded cleanup
expanded_head() {
	atf_set "descr" "NOTIFY=SUCCESS to an alias of two mailboxes: one" \
	    "'expanded' notice and none for its members; to an alias of" \
	    "one: 'delivered'"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
expanded_body() {
	qp_instance "$PWD/inst"
	aliases "postmaster: alice
team: alice, bob
one: alice"
	qp_start
	inject x1 -N success,failure team@example.test
	inject x2 -N success one@example.test
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 30
	# bob: team's copy and two notices
	qp_wait_for 3 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	expect_notices "$QP_DIR/home/bob/Maildir" "Delivery report" 2
	for f in $(notices "$QP_DIR/home/bob/Maildir" "Delivery report"); do
		if grep -q '^X-Test-Id: x1' "$f"; then
			dsn_ok "$f" --action expanded --to bob@example.test \
			    --headers --test-id x1 \
			    --rcpt team@example.test=2.0.0
		else
			dsn_ok "$f" --action delivered --to bob@example.test \
			    --headers --test-id x2 \
			    --rcpt one@example.test=2.0.0
		fi
	done
}
expanded_cleanup() {
	qp_stop
}

atf_test_case relayed cleanup
relayed_head() {
	atf_set "descr" "NOTIFY=SUCCESS relayed to a server that does not" \
	    "offer DSN: the sender is told 'relayed', naming the server;" \
	    "through an alias of one address the request goes on with the" \
	    "forward, and the forward's relay is told"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
relayed_body() {
	qp_instance "$PWD/inst"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	rm_mode p plain_esmtp
	echo "remote.test:127.0.0.2:$PORT" > "$QPOST_CONTROL/smtproutes"
	aliases "postmaster: alice
fwd: other@remote.test"
	qp_start
	inject r1 -N success someone@remote.test
	inject r2 -N success fwd@example.test
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	expect_notices "$QP_DIR/home/bob/Maildir" "Delivery report" 2
	for f in $(notices "$QP_DIR/home/bob/Maildir" "Delivery report"); do
		if grep -q '^X-Test-Id: r1' "$f"; then
			dsn_ok "$f" --action relayed --to bob@example.test \
			    --headers --test-id r1 \
			    --rcpt someone@remote.test=2.0.0 \
			    --remote "someone@remote.test=[127.0.0.2]"
		else
			dsn_ok "$f" --action relayed --to bob@example.test \
			    --headers --test-id r2 \
			    --rcpt other@remote.test=2.0.0
		fi
	done
}
relayed_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case passed cleanup
passed_head() {
	atf_set "descr" "NOTIFY=SUCCESS relayed to a server that offers" \
	    "DSN: the requests go on to it, and no notice comes from here"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
passed_body() {
	qp_instance "$PWD/inst"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	touch p/dsn
	echo "remote.test:127.0.0.2:$PORT" > "$QPOST_CONTROL/smtproutes"
	qp_start
	inject p1 -N success,failure -R hdrs -V e1 someone@remote.test
	qp_wait_log "to=<someone@remote.test> result=ok" 30
	qp_wait_queue_empty 30
	qp_stop
	grep -q "^MAIL FROM:<bob@example.test> .*RET=HDRS ENVID=e1" p/mail/*.env ||
	    qp_fail "the server did not get RET and ENVID" p/mail/*.env
	grep -q "^RCPT TO:<someone@remote.test> NOTIFY=SUCCESS,FAILURE" \
	    p/mail/*.env || qp_fail "the server did not get NOTIFY" p/mail/*.env
	[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 0 ] ||
	    qp_fail "a notice came from here"
	[ "$(nlog "success told")" -eq 0 ] || qp_fail "a success was told here"
}
passed_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case smtp_orcpt cleanup
smtp_orcpt_head() {
	atf_set "descr" "requests made by SMTP reach the notice: NOTIFY and" \
	    "ORCPT on RCPT, ENVID on MAIL, Original-Recipient decoded"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smtp_orcpt_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
	/usr/bin/python3 - "$QP_SMTP_PORT" <<'EOF' || atf_fail "SMTP failed"
import smtplib, sys
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=20)
s.ehlo("client.test")
assert s.has_extn("dsn"), "DSN not offered"
msg = b"Subject: o1\r\nX-Test-Id: o1\r\n\r\nbody line\r\n"
s.sendmail("bob@example.test", ["alice@example.test"], msg,
           mail_options=["RET=FULL", "ENVID=QQ+2B1"],
           rcpt_options=["NOTIFY=SUCCESS,FAILURE",
                         "ORCPT=rfc822;Alice+40old.example"])
s.quit()
EOF
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	dsn_ok "$(notices "$QP_DIR/home/bob/Maildir" "Delivery report")" \
	    --action delivered \
	    --to bob@example.test --headers --test-id o1 \
	    --rcpt alice@example.test=2.0.0 --envid "QQ+1" \
	    --orcpt "alice@example.test=rfc822;Alice@old.example"
}
smtp_orcpt_cleanup() {
	qp_stop
}

inject_success() {
	inject k1 -N success alice@example.test
}

atf_test_case kill_success cleanup
kill_success_head() {
	atf_set "descr" "sched killed after a success notice is planned," \
	    "and after it is queued: after a restart exactly one arrives"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
kill_success_body() {
	for point in bounce-planned bounce-queued; do
		qp_instance "$PWD/$point"
		killed_at $point inject_success
		grep -q "B16:" "$QPOST_QUEUE"/env/* ||
		    qp_fail "$point: no notice id in the envelope"
		grep -q "S1:s," "$QPOST_QUEUE"/env/* ||
		    qp_fail "$point: no recipient in state s"
		qp_start
		qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
		qp_wait_queue_empty 30
		qp_stop
		expect_notices "$QP_DIR/home/bob/Maildir" "Delivery report" 1
		[ "$(qp_nfiles "$QP_DIR/home/alice/Maildir/new")" -eq 1 ] ||
		    qp_fail "$point: alice's copy delivered again"
	done
}
kill_success_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case delivered
	atf_add_test_case failure_requests
	atf_add_test_case expanded
	atf_add_test_case relayed
	atf_add_test_case passed
	atf_add_test_case smtp_orcpt
	atf_add_test_case kill_success
}
