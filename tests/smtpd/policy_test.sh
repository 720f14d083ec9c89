#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd's recipient policy: relaying refused with 550 5.7.1 for every
# trick, allowed by RELAYCLIENT and control/relay; control/rcpthosts
# with subdomains; unknown local users refused at RCPT (550 5.1.1); a
# missing or broken policy file gives 451 4.3.0, never an open relay;
# the same over IPv6.

. "$(atf_get_srcdir)/../lib.sh"

start() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start "$@"
}

# rcpt_script REPLY ADDR... - a dialogue giving each RCPT TO:<ADDR> the
# REPLY prefix, after one accepted MAIL.
rcpt_script() {
	_want=$1
	shift
	echo "< 220"
	echo "> EHLO client.test"
	echo "< 250"
	echo "> MAIL FROM:<sender@example.test>"
	echo "< 250 2.1.0"
	for a in "$@"; do
		echo "> RCPT TO:<$a>"
		echo "< $_want"
	done
	echo "> QUIT"
	echo "< 221 2.0.0"
	echo "<eof"
}

TRICKS="victim@remote.test victim@remote.test. victim@REMOTE.TEST
victim@Remote.Test. victim@[192.0.2.1] victim@[IPv6:2001:db8::1]
victim%remote.test@example.test
remote.test!victim@example.test @example.test:victim@remote.test
@example.test,@other.test:victim@remote.test victim@evilhosted.test
victim@hosted.test.remote.test victim@other.test.remote.test"

atf_test_case relay_tricks cleanup
relay_tricks_head() {
	atf_set "descr" "a client that may not relay gets 550 5.7.1 for a" \
	    "remote domain and each trick: trailing dot, upper case," \
	    "address literals, % and !, source routes, suffix look-alikes"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
relay_tricks_body() {
	start
	set -f	# the addresses have [ ]: no globbing
	# shellcheck disable=SC2086 # addresses are words
	rcpt_script "550 5.7.1" $TRICKS > s
	set +f
	qp_smtp_dialog s
	# what is ours is still accepted, in any case
	rcpt_script "250 2.1.5" alice@example.test ALICE@EXAMPLE.TEST \
	    alice@Example.Test x@other.test x@OTHER.TEST x@a.hosted.test \
	    x@b.a.hosted.test @other.test:alice@example.test > s2
	qp_smtp_dialog s2
	qp_stop "$QP_DIR"
}
relay_tricks_cleanup() {
	qp_stop
}

atf_test_case soft_bounce cleanup
soft_bounce_head() {
	atf_set "descr" "control/softbounce: refusals 550 to 554 come as 450" \
	    "to 454 with a 4.x.x code; syntax errors stay 5xx"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
soft_bounce_body() {
	qp_smtpd_instance "$PWD/inst"
	echo 1 > "$QPOST_CONTROL/softbounce"
	echo "bad@sender.test" > "$QPOST_CONTROL/badmailfrom"
	qp_start
	qp_smtpd_start
	cat > s <<EOM
< 220
> EHLO client.test
< 250
> MAIL FROM:<bad@sender.test>
< 45
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<victim@remote.test>
< 450 4.7.1 Relaying denied
> RCPT TO:<nosuch@example.test>
< 450 4.1.1
> RCPT TO:<broken
< 501 5.1.3
> QUIT
< 221 2.0.0
<eof
EOM
	qp_smtp_dialog s
	grep -q '^S: 45[0-4] 4\.' dialog.out || atf_fail "badmailfrom not softened"
	qp_stop "$QP_DIR"
}
soft_bounce_cleanup() {
	qp_stop
}

atf_test_case relayclient cleanup
relayclient_head() {
	atf_set "descr" "RELAYCLIENT in the environment (even empty) lets" \
	    "the client relay: 250 2.1.5 and the message queued"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
relayclient_body() {
	start RELAYCLIENT=
	rcpt_script "250 2.1.5" victim@remote.test victim@REMOTE.TEST \
	    'victim@[192.0.2.1]' > s
	qp_smtp_dialog s
	qp_msg rc1 > m
	qp_smtp_send m victim@remote.test	# a closed port defers it
	qp_stop "$QP_DIR"
}
relayclient_cleanup() {
	qp_stop
}

atf_test_case relay_file cleanup
relay_file_head() {
	atf_set "descr" "a client listed in control/relay (compiled by qcdb)" \
	    "may relay; the file is read afresh for each session"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
relay_file_body() {
	start
	echo 192.0.2.7 > "$QPOST_CONTROL/relay"
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" relay
	rcpt_script "550 5.7.1" victim@remote.test > s
	qp_smtp_dialog s
	echo 127.0.0.1 > "$QPOST_CONTROL/relay"
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" relay
	rcpt_script "250 2.1.5" victim@remote.test > s2
	qp_smtp_dialog s2
	qp_stop "$QP_DIR"
}
relay_file_cleanup() {
	qp_stop
}

atf_test_case unknown_user cleanup
unknown_user_head() {
	atf_set "descr" "an unknown user of a local domain is refused at" \
	    "RCPT with 550 5.1.1 (no accept-then-bounce); users and" \
	    "aliases are accepted, <Postmaster> always"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
unknown_user_body() {
	start
	rcpt_script "550 5.1.1" nosuchuser@example.test \
	    NoSuchUser@example.test carol@example.test > s
	qp_smtp_dialog s
	rcpt_script "250 2.1.5" alice@example.test bob@example.test \
	    postmaster@example.test Postmaster > s2
	qp_smtp_dialog s2
	# nothing was queued, so nothing bounces
	qp_wait_queue_empty 10
	atf_check -o inline:"0\n" sh -c \
	    "find '$QP_DIR/home' -type f | wc -l | tr -d ' '"
	qp_stop "$QP_DIR"
}
unknown_user_cleanup() {
	qp_stop
}

atf_test_case relay_recipients cleanup
relay_recipients_head() {
	atf_set "descr" "with control/relayrecipients an address of a relay" \
	    "domain must be listed (as itself, without its extension, or" \
	    "by @domain) or gets 550 5.1.1, from any client; local" \
	    "domains are untouched; an edit without qcdb gives 451"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
relay_recipients_body() {
	# a client that may relay: the list binds it too
	start RELAYCLIENT=
	printf 'alice@other.test\nBob@Other.Test\n@a.hosted.test\n' \
	    > "$QPOST_CONTROL/relayrecipients"
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" relayrecipients
	rcpt_script "250 2.1.5" alice@other.test ALICE@other.test \
	    bob@OTHER.TEST alice+list@other.test x@a.hosted.test \
	    alice@example.test > s
	qp_smtp_dialog s
	rcpt_script "550 5.1.1" carol@other.test alice-list@other.test \
	    x@b.a.hosted.test x@hosted2.hosted.test > s2
	qp_smtp_dialog s2
	# control/extsep decides what an extension is
	echo - > "$QPOST_CONTROL/extsep"
	rcpt_script "250 2.1.5" alice-list@other.test > s3
	qp_smtp_dialog s3
	# the text edited without qcdb: 451 for relay domains, local ones
	# as before
	echo '@other.test' >> "$QPOST_CONTROL/relayrecipients"
	touch -d '-1 minute' "$QPOST_CONTROL/relayrecipients.cdb"
	rcpt_script "451 4.3.0" carol@other.test > s5
	qp_smtp_dialog s5
	rcpt_script "250 2.1.5" alice@example.test > s6
	qp_smtp_dialog s6
	atf_check -o ignore -e ignore "$QPOST_LIBEXEC/qcdb" relayrecipients
	rcpt_script "250 2.1.5" carol@other.test > s7
	qp_smtp_dialog s7
	# no list at all: every address of a relay domain, as before
	rm "$QPOST_CONTROL/relayrecipients" "$QPOST_CONTROL/relayrecipients.cdb"
	rcpt_script "250 2.1.5" anyone@b.a.hosted.test > s8
	qp_smtp_dialog s8
	qp_stop "$QP_DIR"
}
relay_recipients_cleanup() {
	qp_stop
}

atf_test_case bad_addresses cleanup
bad_addresses_head() {
	atf_set "descr" "control/badmailfrom and badrcptto refuse their" \
	    "addresses and @domains with 553 5.7.1 (case ignored), from a" \
	    "client that may relay too; the null sender and <Postmaster>" \
	    "pass; each refusal is one log line"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_addresses_body() {
	start RELAYCLIENT=
	printf 'spammer@bad.test\n@SPAM.test\n' > "$QPOST_CONTROL/badmailfrom"
	printf 'bob@example.test\n@other.test\n' > "$QPOST_CONTROL/badrcptto"
	printf '%s\n' "< 220" "> EHLO client.test" "< 250" \
	    "> MAIL FROM:<Spammer@Bad.Test>" \
	    "< 553 5.7.1 <Spammer@Bad.Test>: sender refused (control/badmailfrom)" \
	    "> MAIL FROM:<anyone@spam.test>" "< 553 5.7.1" \
	    "> MAIL FROM:<ok@bad.test>" "< 250 2.1.0" \
	    "> RCPT TO:<alice@example.test>" "< 250 2.1.5" \
	    "> RCPT TO:<BOB@example.test>" \
	    "< 553 5.7.1 <BOB@example.test>: recipient refused (control/badrcptto)" \
	    "> RCPT TO:<x@other.test>" "< 553 5.7.1" \
	    "> RCPT TO:<x@a.hosted.test>" "< 250 2.1.5" \
	    "> RSET" "< 250" "> MAIL FROM:<>" "< 250 2.1.0" \
	    "> RCPT TO:<Postmaster>" "< 250 2.1.5" \
	    "> QUIT" "< 221 2.0.0" "<eof" > s
	qp_smtp_dialog s
	grep -q "refused sender=<anyone@spam.test> reason=badmailfrom" \
	    "$QP_DIR/smtpd.log" || qp_fail "no log line" "$QP_DIR/smtpd.log"
	grep -q "refused rcpt=<x@other.test> reason=badrcptto" \
	    "$QP_DIR/smtpd.log" || qp_fail "no log line" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
bad_addresses_cleanup() {
	qp_stop
}

atf_test_case broken_rcpthosts cleanup
broken_rcpthosts_head() {
	atf_set "descr" "control/rcpthosts without rcpthosts.cdb, or a" \
	    "corrupt one: 451 4.3.0 and a log line, never an open relay"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
broken_rcpthosts_body() {
	start
	rm "$QPOST_CONTROL/rcpthosts.cdb"
	rcpt_script "451 4.3.0" x@other.test > s
	qp_smtp_dialog s
	cat > s2 <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250
> RCPT TO:<victim@remote.test>
<~ ^(451 4\.3\.0|550 5\.7\.1)
> QUIT
< 221
EOS
	qp_smtp_dialog s2
	grep -q rcpthosts "$QP_DIR/smtpd.log" ||
	    qp_fail "no log line names rcpthosts" "$QP_DIR/smtpd.log"
	printf 'garbage' > "$QPOST_CONTROL/rcpthosts.cdb"
	rcpt_script "451 4.3.0" x@other.test > s3
	qp_smtp_dialog s3
	qp_stop "$QP_DIR"
}
broken_rcpthosts_cleanup() {
	qp_stop
}

atf_test_case broken_users cleanup
broken_users_head() {
	atf_set "descr" "a corrupt users.cdb gives 451 4.3.0 at RCPT for a" \
	    "local recipient, not 550 and not 250"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
broken_users_body() {
	start
	printf 'garbage' > "$QPOST_CONTROL/users.cdb"
	rcpt_script "451 4.3.0" alice@example.test nosuchuser@example.test > s
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
broken_users_cleanup() {
	qp_stop
}

atf_test_case broken_relay cleanup
broken_relay_head() {
	atf_set "descr" "control/relay without relay.cdb: 451 4.3.0 for a" \
	    "remote recipient, never 250"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
broken_relay_body() {
	start
	echo 127.0.0.1 > "$QPOST_CONTROL/relay"
	rcpt_script "451 4.3.0" victim@remote.test > s
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
broken_relay_cleanup() {
	qp_stop
}

atf_test_case ipv6 cleanup
ipv6_head() {
	atf_set "descr" "over ::1: a message is delivered, the Received:" \
	    "line has the IPv6 address, relaying is refused"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
ipv6_body() {
	qp_need_ipv6
	# Debian's ucspi-tcp has no IPv6 ("no IP address for ::1"); the
	# ucspi-tcp-ipv6 package's tcpserver has
	_p=$(qp_free_port ::1)
	timeout 1 tcpserver -q ::1 "$_p" true 2>/dev/null
	[ $? -eq 124 ] || atf_skip "this tcpserver cannot listen on ::1" \
	    "(Debian's ucspi-tcp is IPv4 only; ucspi-tcp-ipv6 is not)"
	qp_smtpd_instance "$PWD/inst"
	qp_start
	QP_SMTPD_IP=::1 qp_smtpd_start
	[ "$QP_SMTP_HOST" = ::1 ] || atf_fail "not started on ::1"
	qp_msg v6 > m
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	atf_check -o match:"^Received: from client\.test \(unknown \[(IPv6:)?::1\]\)" \
	    sh -c "cat '$QP_DIR'/home/alice/Maildir/new/*"
	rcpt_script "550 5.7.1" victim@remote.test > s
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
ipv6_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case soft_bounce
	atf_add_test_case relay_tricks
	atf_add_test_case relayclient
	atf_add_test_case relay_file
	atf_add_test_case unknown_user
	atf_add_test_case broken_rcpthosts
	atf_add_test_case relay_recipients
	atf_add_test_case bad_addresses
	atf_add_test_case broken_users
	atf_add_test_case broken_relay
	atf_add_test_case ipv6
}
