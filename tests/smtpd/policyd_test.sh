#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/policy: smtpd asks policy servers of Postfix's delegation
# protocol about each recipient its own checks took.  Against
# policy_peer.py (tests/smtpd), over TCP and a UNIX socket: each action
# gives its reply, PREPEND's header reaches the mailbox above the
# Received: line, the request carries the attributes policy servers
# use, one connection serves a session; a server that is down, silent
# past control/timeoutpolicy, closed, or answering garbage gets 451
# 4.3.5 and one log line, and the next recipient is asked on a new
# connection; relay clients are not asked; a broken control/policy
# refuses the session.  Against postgrey (Debian's), real greylisting:
# the first attempt is deferred, a retry after its delay is accepted.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# peer_start LISTEN - policy_peer.py on LISTEN (inet:127.0.0.1:0 or
# unix:PATH), its files in ./peer; its port in $PEER_PORT.
peer_start() {
	mkdir -p peer
	/usr/bin/python3 "$(atf_get_srcdir)/policy_peer.py" --listen "$1" \
	    --dir "$PWD/peer" 2>> peer/stderr &
	_ready() { [ -e peer/ready ]; }
	qp_deadline_loop 20 _ready || qp_fail "policy_peer did not start" \
	    peer/stderr
	PEER_PORT=$(cat peer/port)
}

peer_stop() {
	[ -f peer/pid ] && kill "$(cat peer/pid)" 2>/dev/null
	return 0
}

# dialog REPLY:ADDR... - one transaction from sender@client.test, each
# RCPT TO:<ADDR> expecting REPLY (a prefix: the text before the last
# colon), then QUIT.
dialog() {
	echo "< 220"
	echo "> EHLO client.test"
	echo "< 250"
	echo "> MAIL FROM:<sender@client.test>"
	echo "< 250 2.1.0"
	for _w in "$@"; do
		echo "> RCPT TO:<${_w##*:}>"
		echo "< ${_w%:*}"
	done
	echo "> QUIT"
	echo "< 221 2.0.0"
	echo "<eof"
}

# request N KEY - the value of KEY in the Nth request the peer got
request() {
	/usr/bin/python3 -c 'import json, sys
lines = open("peer/requests").read().splitlines()
print(json.loads(lines[int(sys.argv[1]) - 1]).get(sys.argv[2], "<none>"))' \
	    "$1" "$2"
}

atf_test_case actions cleanup
actions_head() {
	atf_set "descr" "each action's reply over TCP, the request's" \
	    "attributes, one connection a session, PREPEND's header in the" \
	    "delivered message"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
actions_body() {
	qp_smtpd_instance "$PWD/inst"
	peer_start inet:127.0.0.1:0
	echo "inet:127.0.0.1:$PEER_PORT" > "$QPOST_CONTROL/policy"
	qp_start
	qp_smtpd_start
	dialog "550 5.7.1 <reject@other.test>: Recipient address rejected: no thanks:reject@other.test" \
	    "550 5.7.9 <code@other.test>: Recipient address rejected: refused by code:code@other.test" \
	    "450 4.2.0 <defer@other.test>: Recipient address rejected: Greylisted, come back later:defer@other.test" \
	    "250 2.1.5:ok@other.test" "250 2.1.5:filter@other.test" \
	    "250 2.1.5:plain@other.test" > s
	qp_smtp_dialog s
	[ "$(cat peer/conns)" = 1 ] || atf_fail "want one connection"
	[ "$(wc -l < peer/requests)" -eq 6 ] || atf_fail "want 6 requests"
	for kv in request=smtpd_access_policy protocol_state=RCPT \
	    protocol_name=ESMTP helo_name=client.test \
	    sender=sender@client.test recipient=reject@other.test \
	    client_address=127.0.0.1 server_address=127.0.0.1 \
	    "server_port=$QP_SMTP_PORT" recipient_count=0; do
		[ "$(request 1 "${kv%%=*}")" = "${kv#*=}" ] ||
		    atf_fail "request 1: ${kv%%=*} is $(request 1 \
		    "${kv%%=*}"), want ${kv#*=}"
	done
	[ "$(request 5 recipient_count)" = 1 ] ||
	    atf_fail "recipient_count does not count the accepted"
	[ "$(request 1 instance)" = "$(request 6 instance)" ] ||
	    atf_fail "instance differs within a transaction"
	# another transaction in the session: another instance
	{
		echo "< 220"
		echo "> EHLO client.test"
		echo "< 250"
		for i in 1 2; do
			echo "> MAIL FROM:<sender@client.test>"
			echo "< 250 2.1.0"
			echo "> RCPT TO:<plain$i@other.test>"
			echo "< 250 2.1.5"
			echo "> RSET"
			echo "< 250"
		done
		echo "> QUIT"
	} > s3
	qp_smtp_dialog s3
	[ "$(request 7 instance)" != "$(request 8 instance)" ] ||
	    atf_fail "instance kept from the last transaction"
	grep -q "policy action=FILTER taken as DUNNO" "$QP_DIR/smtpd.log" ||
	    qp_fail "FILTER not logged" "$QP_DIR/smtpd.log"
	grep -q "refused rcpt=<reject@other.test> policy=550" \
	    "$QP_DIR/smtpd.log" || qp_fail "no refusal logged" \
	    "$QP_DIR/smtpd.log"

	# PREPEND: above the Received: line, once for two recipients
	qp_msg prepended > m
	qp_smtp_send m prepend1@other.test alice@example.test
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	f=$(ls "$QP_DIR"/home/alice/Maildir/new/*)
	[ "$(grep -c '^X-Policy: checked by policy_peer$' "$f")" -eq 1 ] ||
	    qp_fail "want one X-Policy header" "$f"
	xp=$(grep -n '^X-Policy:' "$f" | cut -d: -f1)
	rc=$(grep -n '^Received: from client.test' "$f" | cut -d: -f1)
	[ "$xp" -lt "$rc" ] || qp_fail "X-Policy: is below Received:" "$f"
	[ "$(request 9 instance)" != "$(request 1 instance)" ] ||
	    atf_fail "instance kept from the last session"
	qp_stop "$QP_DIR"
}
actions_cleanup() {
	qp_stop
	peer_stop
}

atf_test_case failures cleanup
failures_head() {
	atf_set "descr" "over a UNIX socket: garbage, an unknown action, a" \
	    "long reply, a NUL, two replies, a closed connection and" \
	    "silence past control/timeoutpolicy each give 451 4.3.5 and a" \
	    "log line, and the next recipient is asked anew; a server that" \
	    "closes a kept connection is reached again; one that is down" \
	    "gives 451 4.3.5"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
failures_body() {
	qp_smtpd_instance "$PWD/inst"
	peer_start "unix:$PWD/policy.sock"
	echo "unix:$PWD/policy.sock" > "$QPOST_CONTROL/policy"
	echo 1 > "$QPOST_CONTROL/timeoutpolicy"
	qp_smtpd_start
	set --
	for bad in garbage unknown long nul twice close hang; do
		set -- "$@" "451 4.3.5:$bad@other.test" "250 2.1.5:a@other.test"
	done
	dialog "$@" "250 2.1.5:drop@other.test" "250 2.1.5:b@other.test" > s
	qp_smtp_dialog s
	for why in "a line of the reply is not name=value" \
	    "action is unknown or malformed" "the reply is too long" \
	    "the reply holds a NUL" "more than one reply" \
	    "closed the connection" "no answer in time"; do
		grep -q "policy=unix:$PWD/policy.sock unusable: .*$why" \
		    "$QP_DIR/smtpd.log" || qp_fail "not logged: $why" \
		    "$QP_DIR/smtpd.log"
	done
	# a new connection after each failure; close's and drop's closed
	# kept connections are tried again once on a new one
	[ "$(cat peer/conns)" = 10 ] ||
	    atf_fail "want 10 connections, got $(cat peer/conns)"
	peer_stop
	dialog "451 4.3.5:a@other.test" > s2
	qp_smtp_dialog s2
	grep -q "policy=unix:$PWD/policy.sock unusable: " "$QP_DIR/smtpd.log" ||
	    qp_fail "the server down not logged" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
failures_cleanup() {
	qp_stop
	peer_stop
}

atf_test_case not_asked cleanup
not_asked_head() {
	atf_set "descr" "a relay client is not asked; a broken" \
	    "control/policy refuses the session with a log line"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
not_asked_body() {
	qp_smtpd_instance "$PWD/inst"
	peer_start inet:127.0.0.1:0
	echo "inet:127.0.0.1:$PEER_PORT" > "$QPOST_CONTROL/policy"
	qp_smtpd_start RELAYCLIENT=
	dialog "250 2.1.5:reject@other.test" > s
	qp_smtp_dialog s
	[ ! -e peer/requests ] || atf_fail "a relay client was asked"
	echo "inet:localhost:10023" > "$QPOST_CONTROL/policy"
	printf '< 421\n<eof\n' > s2
	qp_smtp_dialog s2
	grep -q 'control file policy: entry 1: "inet:localhost:10023"' \
	    "$QP_DIR/smtpd.log" || qp_fail "no log line" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
not_asked_cleanup() {
	qp_stop
	peer_stop
}

atf_test_case postgrey cleanup
postgrey_head() {
	atf_set "descr" "greylisting by a real postgrey: the first attempt" \
	    "gets 450 4.7.1 Greylisted, an attempt after its delay is" \
	    "accepted and the message carries postgrey's X-Greylist header"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "postgrey"
	atf_set "timeout" "60"
}
postgrey_body() {
	qp_smtpd_instance "$PWD/inst"
	port=$(qp_free_port 127.0.0.1) || atf_fail "no free port"
	mkdir pg
	postgrey --inet="127.0.0.1:$port" --dbdir="$PWD/pg" --delay=1 \
	    --user="$(id -un)" --group="$(id -gn)" \
	    --pidfile="$PWD/pg/pid" > pg/log 2>&1 &
	echo $! > pg/shell.pid
	qp_deadline_loop 30 qp_port_open 127.0.0.1 "$port" ||
	    qp_fail "postgrey did not start" pg/log
	echo "inet:127.0.0.1:$port" > "$QPOST_CONTROL/policy"
	qp_start
	qp_smtpd_start
	dialog "450 4.7.1 <alice@example.test>: Recipient address rejected: Greylisted, see http:alice@example.test" > s
	qp_smtp_dialog s
	# again, until the delay has passed: then the message goes in
	qp_msg greylisted > m
	qp_wire m
	printf '%s\n' "< 220" "> EHLO client.test" "< 250" \
	    "> MAIL FROM:<sender@client.test>" "< 250 2.1.0" \
	    "> RCPT TO:<alice@example.test>" "< 250 2.1.5" "> DATA" "< 354" \
	    ">file m.wire" "< 250 2.0.0 Ok: queued as" "> QUIT" "< 221" \
	    > retry
	_sent() {
		/usr/bin/python3 "$(qp_top)/tests/smtp_dialog.py" \
		    -H "$QP_SMTP_HOST" -p "$QP_SMTP_PORT" retry > retry.out \
		    2>&1
	}
	qp_deadline_loop 20 _sent || qp_fail "never accepted" retry.out
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	grep -q '^X-Greylist: delayed [0-9]* seconds by postgrey' \
	    "$QP_DIR"/home/alice/Maildir/new/* ||
	    qp_fail "no X-Greylist header" "$QP_DIR"/home/alice/Maildir/new/*
	qp_stop "$QP_DIR"
}
postgrey_cleanup() {
	qp_stop
	for f in pg/pid pg/shell.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	return 0
}

atf_test_case whole_message cleanup
whole_message_head() {
	atf_set "descr" "DISCARD, REDIRECT, BCC and HOLD from a policy" \
	    "server are carried out for the whole message at its end: 250" \
	    "and nothing delivered, the message to bob only, or to bob" \
	    "too, or queued held until qctl releases it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
whole_message_body() {
	qp_smtpd_instance "$PWD/inst"
	peer_start inet:127.0.0.1:0
	echo "inet:127.0.0.1:$PEER_PORT" > "$QPOST_CONTROL/policy"
	qp_start
	qp_smtpd_start
	for what in discard redirect bcc hold; do
		qp_msg "$what" > "m.$what"
		# two recipients asking for the same BCC: one copy
		qp_smtp_send "m.$what" "${what}1@other.test" \
		    "${what}2@other.test" alice@example.test
	done
	# redirect's copy and bcc's extra one reach bob; bcc's own to alice
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 20
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	for want in "bob redirect 1" "bob bcc 1" "alice bcc 1" \
	    "alice redirect 0" "alice discard 0" "bob discard 0" \
	    "alice hold 0"; do
		set -- $want
		[ "$(qp_maildir_grep_count "X-Test-Id: $2" \
		    "$QP_DIR/home/$1/Maildir/new")" -eq "$3" ] ||
		    atf_fail "$1 did not get $3 of $2"
	done
	for l in "rcpt=<discard1@other.test> policy action=DISCARD text=\"trapped\"" \
	    "rcpt=<redirect2@other.test> policy action=REDIRECT text=\"bob@example.test\"" \
	    "rcpt=<bcc2@other.test> policy action=BCC text=\"bob@example.test\"" \
	    "rcpt=<hold1@other.test> policy action=HOLD text=\"quarantined\"" \
	    "discarded from=<sender@example.test> rcpts=3"; do
		grep -qF "$l" "$QP_DIR/smtpd.log" ||
		    qp_fail "not logged: $l" "$QP_DIR/smtpd.log"
	done
	# held: queued with all three recipients, none of them tried
	qp_wait_log "queued from=<sender@example.test> .* rcpts=3 held$" 20
	id=$("$QPOST_LIBEXEC/qstat" | sed -n 's/^id=\([0-9a-f]*\) .* held=yes$/\1/p')
	[ -n "$id" ] || atf_fail "qstat shows no message held"
	atf_check -o inline:"$id: released\n" "$QPOST_LIBEXEC/qctl" release "$id"
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 20
	[ "$(qp_maildir_grep_count "X-Test-Id: hold" \
	    "$QP_DIR/home/alice/Maildir/new")" -eq 1 ] ||
	    atf_fail "the released message did not reach alice"
	qp_stop "$QP_DIR"
}
whole_message_cleanup() {
	qp_stop
	peer_stop
}

atf_test_case client_names cleanup
client_names_head() {
	atf_set "descr" "with control/lookupclientname, client_name is the" \
	    "forward-confirmed name and reverse_client_name the PTR name," \
	    "each unknown without one (dnsmasq)"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "/usr/sbin/dnsmasq"
	atf_set "timeout" "60"
}
client_names_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_dns_start --host-record=good.test,127.0.0.2 \
	    --ptr-record=3.0.0.127.in-addr.arpa,liar.test \
	    --host-record=liar.test,127.0.0.30
	peer_start inet:127.0.0.1:0
	echo "inet:127.0.0.1:$PEER_PORT" > "$QPOST_CONTROL/policy"
	echo 1 > "$QPOST_CONTROL/lookupclientname"
	qp_smtpd_start
	n=0
	for ip in 127.0.0.2 127.0.0.3 127.0.0.4; do
		n=$((n + 1))
		dialog "250 2.1.5:plain@other.test" > "s$n"
		QP_SMTP_BIND=$ip qp_smtp_dialog "s$n"
	done
	n=0
	while read -r name ptr; do
		n=$((n + 1))
		[ "$(request "$n" client_name)" = "$name" ] ||
		    atf_fail "request $n: client_name is not $name"
		[ "$(request "$n" reverse_client_name)" = "$ptr" ] ||
		    atf_fail "request $n: reverse_client_name is not $ptr"
	done <<'EOF2'
good.test good.test
unknown liar.test
unknown unknown
EOF2
	qp_stop "$QP_DIR"
	peer_stop
	qp_dns_stop
}
client_names_cleanup() {
	qp_stop
	peer_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case client_names
	atf_add_test_case actions
	atf_add_test_case failures
	atf_add_test_case not_asked
	atf_add_test_case postgrey
	atf_add_test_case whole_message
}
