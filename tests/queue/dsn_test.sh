#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Delivery status notifications: bounces, delay notices and double
# bounces as RFC 3464 reports that Python's email package parses
# (tests/queue/dsn_check.py), the queue lifetime enforced at its end,
# nothing ever sent to the null sender, no loops, and sched killed
# between the steps of making a notice sending neither a duplicate nor
# losing one.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../remote/remote.sh"
. "$(atf_get_srcdir)/dsn.sh"

# remote_instance - an instance whose remote.test goes to peer "p" (in
# mode rcpt_mixed) on 127.0.0.2, retrying every second or two.
remote_instance() {
	qp_instance "$PWD/inst"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	rm_mode p rcpt_mixed
	echo "remote.test:127.0.0.2:$PORT" > "$QPOST_CONTROL/smtproutes"
	echo 2 > "$QPOST_CONTROL/timeoutremote"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 2 > "$QPOST_CONTROL/retrymax"
}

atf_test_case expire_bounce cleanup
expire_bounce_head() {
	atf_set "descr" "a recipient that keeps failing is bounced when the" \
	    "queue lifetime ends, not at its next retry, with a DSN that" \
	    "names the reason"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
expire_bounce_body() {
	qp_instance "$PWD/inst"
	# tries at 0 s and 3 s; the next would be at 9 s, the lifetime is 5
	echo 3 > "$QPOST_CONTROL/retrymin"
	echo 100 > "$QPOST_CONTROL/retrymax"
	echo 5 > "$QPOST_CONTROL/queuelifetime"
	qp_start
	qp_msg e1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    someone@remote.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	grep -q "to=<someone@remote.test> result=bounce expired age=[56] try=2 " \
	    "$QP_DIR/log" || qp_fail "not expired at the lifetime's end"
	[ "$(nlog 'start to=<someone@remote.test>')" -eq 2 ] ||
	    qp_fail "tried again after the lifetime"
	expect_notices "$QP_DIR/home/bob/Maildir" "Undelivered mail" 1
	dsn_ok "$(notices "$QP_DIR/home/bob/Maildir" "Undelivered mail")" \
	    --action failed --to bob@example.test --whole --test-id e1 \
	    --rcpt someone@remote.test=4.4.7 --reason "someone@remote.test=4.4.7 message expired in the queue; last error: 4.4.1 127.0.0.1[127.0.0.1]: connect: Connection refused" \
	    --diag "someone@remote.test=X-Qpost; 4.4.7 message expired"
}
expire_bounce_cleanup() {
	qp_stop
}

atf_test_case lifetime_reload cleanup
lifetime_reload_head() {
	atf_set "descr" "a queue lifetime shortened by SIGHUP bounces a" \
	    "recipient whose next try was far away, without that try"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
lifetime_reload_body() {
	qp_instance "$PWD/inst"
	echo 1000 > "$QPOST_CONTROL/retrymin"
	qp_start
	qp_msg h1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    someone@remote.test < m
	qp_wait_log "to=<someone@remote.test> result=defer try=1 next=+1[01][0-9][0-9] " 30
	echo 1 > "$QPOST_CONTROL/queuelifetime"
	qp_reload
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	grep -q "to=<someone@remote.test> result=bounce expired .* try=1 " \
	    "$QP_DIR/log" || qp_fail "not expired after the reload"
	dsn_ok "$(notices "$QP_DIR/home/bob/Maildir" "Undelivered mail")" \
	    --action failed --to bob@example.test --whole --test-id h1 \
	    --rcpt someone@remote.test=4.4.7
}
lifetime_reload_cleanup() {
	qp_stop
}

atf_test_case mixed cleanup
mixed_head() {
	atf_set "descr" "one message: delivered, 550 and 450 recipients; one" \
	    "bounce names exactly the 550 ones, one delay notice later" \
	    "the 450 ones, and a restart sends no second notice"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
mixed_body() {
	remote_instance
	echo 4 > "$QPOST_CONTROL/delaynotice"
	echo 0 > "$QPOST_CONTROL/bouncemaxbytes"	# headers only
	md=$QP_DIR/home/alice/Maildir
	qp_start
	qp_msg m1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f alice@example.test \
	    ok@remote.test perm1@remote.test temp1@remote.test \
	    perm2@remote.test temp2@remote.test < m
	_d_delayed() { [ "$(nnotices "$md" "Delayed mail")" -ge 1 ]; }
	qp_deadline_loop 30 _d_delayed || qp_fail "no delay notice"
	expect_notices "$md" "Undelivered mail" 1
	expect_notices "$md" "Delayed mail" 1
	dsn_ok "$(notices "$md" "Undelivered mail")" --action failed \
	    --to alice@example.test --headers --test-id m1 \
	    --rcpt perm1@remote.test=5.1.1 --rcpt perm2@remote.test=5.1.1 \
	    --reason "perm1@remote.test=5.1.1 127.0.0.2[127.0.0.2] said: 550 5.1.1 no such mailbox (in reply to RCPT TO)" \
	    --remote "perm2@remote.test=[127.0.0.2]" \
	    --diag "perm1@remote.test=smtp; 550 5.1.1 no such mailbox"
	dsn_ok "$(notices "$md" "Delayed mail")" --action delayed \
	    --to alice@example.test --headers --test-id m1 \
	    --rcpt temp1@remote.test=4.2.1 --rcpt temp2@remote.test=4.2.1 \
	    --reason "temp2@remote.test=said: 450 4.2.1 mailbox busy" \
	    --remote "temp1@remote.test=[127.0.0.2]" \
	    --diag "temp1@remote.test=smtp; 450 4.2.1 mailbox busy"
	[ "$(rm_mails p)" -eq 1 ] || qp_fail "ok@ did not get exactly one copy"

	# a restart, and two more failed tries: no second notice
	qp_stop
	n=$(nlog "sched: .*to=<temp1@remote.test> result=defer")
	qp_start
	_d_tried() {
		[ "$(nlog "sched: .*to=<temp1@remote.test> result=defer")" \
		    -ge $((n + 2)) ]
	}
	qp_deadline_loop 30 _d_tried || qp_fail "no more tries after restart"
	rm_mode p good
	qp_wait_queue_empty 30
	qp_stop
	expect_notices "$md" "Undelivered mail" 1
	expect_notices "$md" "Delayed mail" 1
	[ "$(qp_nfiles "$md/new")" -eq 2 ] || qp_fail "unexpected mail for alice"
	[ "$(nlog "delay notice queued for")" -eq 1 ] ||
	    qp_fail "not one delay notice queued"
	[ "$(rm_mails p)" -eq 2 ] || qp_fail "the 450 recipients' copy is missing"
}
mixed_cleanup() {
	qp_stop
	rm_peers_stop
}

atf_test_case null_sender cleanup
null_sender_head() {
	atf_set "descr" "mail from <> that fails or waits: no bounce and no" \
	    "delay notice is sent, each decision logged once"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
null_sender_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	echo 1 > "$QPOST_CONTROL/retrymax"
	echo 1 > "$QPOST_CONTROL/delaynotice"
	echo 4 > "$QPOST_CONTROL/queuelifetime"
	qp_start
	qp_msg n1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f '' nosuchuser@example.test \
	    someone@remote.test < m
	qp_wait_queue_empty 30
	qp_stop
	for r in nosuchuser@example.test someone@remote.test; do
		[ "$(nlog "to=<$r> bounce dropped: the sender is null")" -eq 1 ] ||
		    qp_fail "no single 'bounce dropped' for $r"
	done
	[ "$(nlog "delay notice not sent: the sender is null")" -eq 1 ] ||
	    qp_fail "no single 'delay notice not sent'"
	[ "$(nlog "queued for id=")" -eq 0 ] || qp_fail "a notice was queued"
	for u in alice bob; do
		[ "$(qp_nfiles "$QP_DIR/home/$u/Maildir/new")" -eq 0 ] ||
		    qp_fail "$u got mail"
	done
}
null_sender_cleanup() {
	qp_stop
}

atf_test_case double_bounce cleanup
double_bounce_head() {
	atf_set "descr" "a bounce that fails goes to control/doublebounceto" \
	    "once; a double bounce that fails, or with an empty" \
	    "doublebounceto, is dropped with a log line; no loop"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
double_bounce_body() {
	qp_instance "$PWD/inst"
	md=$QP_DIR/home/alice/Maildir	# postmaster is alice
	qp_start
	qp_msg d1 > m
	# the sender does not exist: its bounce fails too
	atf_check "$QPOST_LIBEXEC/qinject" -f ghost@example.test \
	    nosuchuser@example.test < m
	qp_wait_for 1 "$md/new" 30
	qp_wait_queue_empty 30
	expect_notices "$md" "Undelivered bounce" 1
	dsn_ok "$(notices "$md" "Undelivered bounce")" --double \
	    --action failed --to postmaster@example.test --whole \
	    --test-id d1 --rcpt ghost@example.test=5.1.1 \
	    --reason "ghost@example.test=5.1.1 <ghost@example.test>: no mailbox here by that name"
	[ "$(nlog "id=[0-9a-f]* bounce queued for")" -eq 1 ] &&
	    [ "$(nlog "double bounce queued for")" -eq 1 ] ||
	    qp_fail "want one bounce and one double bounce"

	# the double bounce fails too: dropped
	echo nobody > "$QPOST_CONTROL/doublebounceto"
	atf_check "$QPOST_LIBEXEC/qinject" -f ghost@example.test \
	    nosuchuser@example.test < m
	qp_wait_log "to=<nobody@example.test> double bounce failed: dropped" 30
	qp_wait_queue_empty 30

	# no double bounces at all
	: > "$QPOST_CONTROL/doublebounceto"
	atf_check "$QPOST_LIBEXEC/qinject" -f ghost@example.test \
	    nosuchuser@example.test < m
	qp_wait_log "to=<ghost@example.test> double bounce dropped: control/doublebounceto is empty" 30
	qp_wait_queue_empty 30
	qp_stop
	[ "$(qp_nfiles "$md/new")" -eq 1 ] || qp_fail "alice got more mail"
	[ "$(nlog "id=[0-9a-f]* bounce queued for")" -eq 3 ] &&
	    [ "$(nlog "double bounce queued for")" -eq 2 ] ||
	    qp_fail "want three bounces and two double bounces"
}
double_bounce_cleanup() {
	qp_stop
}

atf_test_case utf8 cleanup
utf8_head() {
	atf_set "descr" "an SMTPUTF8 message's bounce is a global report" \
	    "(RFC 6533) naming its UTF-8 recipient as such"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
utf8_body() {
	qp_instance "$PWD/inst"
	echo 100000 > "$QPOST_CONTROL/bouncemaxbytes"
	qp_start
	printf 'From: alice@example.test\nSubject: Gr\303\274\303\237e\nX-Test-Id: u1\n\nK\303\244se.\n' > m
	printf 'Falice@example.test\000Tj\303\266rg@example.test\000\000' > envl
	QPOST_UTF8=1 "$QPOST_LIBEXEC/qinject" -Q < m 1< envl ||
	    atf_fail "qinject -Q failed"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_queue_empty 30
	qp_stop
	dsn_ok "$(notices "$QP_DIR/home/alice/Maildir" "Undelivered mail")" \
	    --global --action failed --to alice@example.test --whole \
	    --test-id u1 --rcpt "j$(printf '\303\266')rg@example.test=5.1.1"
	grep -q "^Final-Recipient: utf-8; j$(printf '\303\266')rg@example.test" \
	    "$QP_DIR"/home/alice/Maildir/new/* ||
	    atf_fail "the UTF-8 address is not of type utf-8"
}
utf8_cleanup() {
	qp_stop
}

inject_bounce() {
	qp_msg k1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    nosuchuser@example.test < m
}

atf_test_case kill_bounce cleanup
kill_bounce_head() {
	atf_set "descr" "sched killed after a bounce is planned, and after" \
	    "it is queued but before the message is updated: after a" \
	    "restart exactly one bounce arrives"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
kill_bounce_body() {
	for point in bounce-planned bounce-queued; do
		qp_instance "$PWD/$point"
		killed_at $point inject_bounce
		n=$(qp_nfiles "$QPOST_QUEUE/env")
		grep -q "B16:" "$QPOST_QUEUE"/env/* ||
		    qp_fail "$point: no bounce id in the envelope"
		case $point in
		bounce-planned)	[ "$n" -eq 1 ] ;;
		bounce-queued)	[ "$n" -eq 2 ] ;;
		esac || qp_fail "$point: $n envelopes after the kill"
		qp_start
		qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
		qp_wait_queue_empty 30
		qp_stop
		[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 1 ] ||
		    qp_fail "$point: not exactly one bounce"
		dsn_ok "$QP_DIR"/home/bob/Maildir/new/* --action failed \
		    --whole --test-id k1 --rcpt nosuchuser@example.test=5.1.1
		[ "$point" = bounce-planned ] ||
		    grep -q "was queued before a restart" "$QP_DIR/log" ||
		    qp_fail "$point: the bounce was queued again"
	done
}
kill_bounce_cleanup() {
	qp_stop
}

inject_delay() {
	qp_msg k2 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    someone@remote.test < m
}

atf_test_case kill_notice cleanup
kill_notice_head() {
	atf_set "descr" "sched killed between the steps of a delay notice:" \
	    "after a restart exactly one notice arrives, and never another"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
kill_notice_body() {
	for point in notice-planned notice-queued; do
		qp_instance "$PWD/$point"
		echo 1 > "$QPOST_CONTROL/retrymin"
		echo 1 > "$QPOST_CONTROL/retrymax"
		echo 1 > "$QPOST_CONTROL/delaynotice"
		killed_at $point inject_delay
		grep -q "P16:" "$QPOST_QUEUE"/env/* ||
		    qp_fail "$point: no notice id in the envelope"
		qp_start
		qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
		n=$(nlog "sched: .*to=<someone@remote.test> result=defer")
		_d_tried() {
			[ "$(nlog "sched: .*to=<someone@remote.test> result=defer")" \
			    -ge $((n + 3)) ]
		}
		qp_deadline_loop 30 _d_tried || qp_fail "$point: no more tries"
		qp_stop
		[ "$(qp_nfiles "$QP_DIR/home/bob/Maildir/new")" -eq 1 ] ||
		    qp_fail "$point: not exactly one delay notice"
		dsn_ok "$QP_DIR"/home/bob/Maildir/new/* --action delayed \
		    --whole --test-id k2 --rcpt someone@remote.test=4.4.1
		grep -q "W1:1," "$QPOST_QUEUE"/env/* ||
		    qp_fail "$point: the notice is not marked done"
	done
}
kill_notice_cleanup() {
	qp_stop
}

atf_test_case kill_random cleanup
kill_random_head() {
	atf_set "descr" "sched killed at random moments while 30 messages" \
	    "bounce: every message gets exactly one bounce (repeated" \
	    "deliveries of it aside), none is lost"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "300"
}
kill_random_body() {
	qp_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/retrymin"
	qp_start
	n=30
	i=0
	while [ $i -lt $n ]; do
		qp_msg "r$i" > "m$i"
		i=$((i + 1))
	done
	(
		i=0
		while [ $i -lt $n ]; do
			"$QPOST_LIBEXEC/qinject" -f bob@example.test \
			    nosuchuser@example.test < "m$i" || exit 1
			i=$((i + 1))
		done
	) &
	burst=$!
	kills=0
	while [ $kills -lt 10 ]; do
		/usr/bin/python3 -c 'import random, time; time.sleep(random.uniform(0.02, 0.3))'
		qp_kill_sched
		kills=$((kills + 1))
		qp_start
	done
	wait $burst || atf_fail "an injection failed"
	qp_wait_for $n "$QP_DIR/home/bob/Maildir/new" 120
	qp_wait_queue_empty 120
	qp_stop
	for f in "$QP_DIR"/home/bob/Maildir/new/*; do
		/usr/bin/python3 "$(atf_get_srcdir)/dsn_check.py" "$f" --ident \
		    --action failed --whole \
		    --rcpt nosuchuser@example.test=5.1.1 >> idents ||
		    qp_fail "a bounce does not parse: $f"
	done
	# n distinct bounces (by Message-ID) for n distinct messages: one
	# each; a repeated delivery repeats a Message-ID, which is allowed
	atf_check -o inline:"$n\n" sh -c "sort -u idents | wc -l | tr -d ' '"
	atf_check -o inline:"$n\n" sh -c \
	    "awk '{ print \$2 }' idents | sort -u | wc -l | tr -d ' '"
	echo "kills=$kills bounces=$(wc -l < idents) distinct=$(sort -u idents | wc -l)"
}
kill_random_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case expire_bounce
	atf_add_test_case lifetime_reload
	atf_add_test_case mixed
	atf_add_test_case null_sender
	atf_add_test_case double_bounce
	atf_add_test_case utf8
	atf_add_test_case kill_bounce
	atf_add_test_case kill_notice
	atf_add_test_case kill_random
}
