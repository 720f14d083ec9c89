#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# qpmilter (queue/qpmilter.c, queue/milter.c) as control/filter, with
# real parts: smtpd under tcpserver and smtplib as the client, a milter
# on Sendmail's own libmilter (Debian's python3-milter, milter_peer.py)
# and one that breaks the protocol on purpose (milter_hostile.py).
# What the milter is told (client, HELO, envelope, header fields, a
# body with CRLF line ends, the queue id) and every change it may make
# arrive; its refusals reach the client with the right class; a milter
# that is gone, slow or broken costs a 451 (or, under -d accept, its
# changes), never a half-queued message.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

A=home/alice/Maildir/new
B=home/bob/Maildir/new

# start_milter SCRIPT ARG - run tests/smtpd/SCRIPT on the socket
# $PWD/milter.sock with ARG, and wait until it accepts a connection.
start_milter() {
	/usr/bin/python3 "$(atf_get_srcdir)/$1" "$PWD/milter.sock" "$2" \
	    >milter.out 2>&1 &
	echo $! > milter.pid
	wait_milter
}

# wait_milter - until $PWD/milter.sock accepts a connection.
wait_milter() {
	_listening() {
		/usr/bin/python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])' "$PWD/milter.sock" 2>/dev/null
	}
	qp_deadline_loop 30 _listening || qp_fail "the milter did not start" \
	    milter.out
}

# stop_milter - TERM (then KILL) the milter started, if it is still the
# one (its command line names this folder's socket, od.conf or peer.log).
stop_milter() {
	[ -f milter.pid ] || return 0
	_p=$(cat milter.pid)
	_ours() {
		tr '\0' '\n' < "/proc/$_p/cmdline" 2>/dev/null |
		    grep -qxF -e "$PWD/milter.sock" -e "$PWD/od.conf" \
		    -e "$PWD/peer.log"
	}
	_ours || return 0
	kill -TERM "$_p"
	_gone() { ! _ours; }
	qp_deadline_loop 10 _gone || kill -KILL "$_p"
	return 0
}

# send ID SUBJECT RCPT... - one message (X-Test-Id ID, a folded
# X-Folded field) from sender@example.test, from the source address
# QP_SMTP_BIND if set; the end-of-data reply "CODE TEXT" into r.ID, the
# message as sent (LF) in m.ID.
send() {
	_id=$1 _subject=$2
	shift 2
	{
		printf 'Subject: %s\nX-Test-Id: %s\n' "$_subject" "$_id"
		printf 'X-Folded: one\n\ttwo\n\nbody of %s\n' "$_id"
		printf 'a second line\n'
	} > "m.$_id"
	/usr/bin/python3 - "$QP_SMTP_PORT" "$_id" "$@" <<'PY'
import os, smtplib, sys
bind = os.environ.get("QP_SMTP_BIND")
s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=60,
                 source_address=(bind, 0) if bind else None)
s.ehlo("client.test")
msg = open("m." + sys.argv[2], "rb").read().replace(b"\n", b"\r\n")
try:
    s.sendmail("sender@example.test", sys.argv[3:], msg)
    code, text = 250, b"queued"
except smtplib.SMTPDataError as e:
    code, text = e.smtp_code, e.smtp_error
open("r." + sys.argv[2], "w").write("%d %s\n" % (code, text.decode()))
s.quit()
PY
}

# delivered DIR ID - the file in DIR with X-Test-Id ID.
delivered() {
	grep -l "^X-Test-Id: $2\$" "$QP_DIR/$1"/* 2>/dev/null
}

# setup [FILTER ARGS] - an instance with smtpd, control/filter qpmilter
# ARGS (default: the socket) before the milter runs.
setup() {
	qp_smtpd_instance "$PWD/inst"
	echo "$QPOST_LIBEXEC/qpmilter ${1:-unix:$PWD/milter.sock}" > \
	    "$QPOST_CONTROL/filter"
	qp_start
	qp_smtpd_start
	log=$QP_DIR/smtpd.log
}

atf_test_case changes cleanup
changes_head() {
	atf_set "descr" "a libmilter milter sees the client, HELO, the" \
	    "envelope, the queue id, folded fields as Sendmail sends them" \
	    "and a CRLF body; the fields it adds, inserts at the top and" \
	    "changes arrive"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
changes_body() {
	setup
	start_milter milter_peer.py "$PWD/peer.log"
	send chg "hello there" alice@example.test
	grep -q '^250 ' r.chg || atf_fail "not queued: $(cat r.chg)"
	qp_wait_for 1 "$QP_DIR/$A" 30
	f=$(delivered "$A" chg) || atf_fail "the message did not arrive"
	id=$(sed -n 's/.*qpmilter: id=\([0-9a-f]\{16\}\) .*/\1/p' "$log")
	# what the milter was told
	for want in "connect [127.0.0.1] 127.0.0.1" "macro_j example.test" \
	    "helo client.test" "mail <sender@example.test>" \
	    "rcpt <alice@example.test>" "macro_auth None" \
	    "folded 'one\\n\\ttwo'" "body_crlf True"; do
		grep -qxF "$want" peer.log ||
		    qp_fail "the milter was not told: $want" peer.log
	done
	grep -qx "macro_i [0-9a-f]\{16\}" peer.log ||
	    qp_fail "no queue id for the milter" peer.log
	body=$(printf 'body of chg\r\na second line\r\n' | sha256sum |
	    cut -d ' ' -f 1)
	grep -qx "body_sha256 $body" peer.log ||
	    qp_fail "the milter saw another body than the client sent" \
	    peer.log
	# what it changed, and what it left
	grep -qx 'Subject: \[tagged\] hello there' "$f" ||
	    atf_fail "the Subject was not changed"
	grep -qx 'X-Milter: from=<sender@example.test> rcpts=1 headers=4' \
	    "$f" || qp_fail "no X-Milter field" "$f"
	# X-First at the top of what the milter saw: above smtpd's Received
	awk '/^X-First: top$/ { x = NR } /^Received: from client.test/ {
	    r = NR } END { exit !(x && r && x < r) }' "$f" ||
	    qp_fail "X-First is not above smtpd's Received" "$f"
	grep -qx '	two' "$f" || atf_fail "the folded field lost a line"
	tail -n 2 "$f" | tr '\n' '|' | grep -qx 'body of chg|a second line|' ||
	    atf_fail "the body changed"
	grep -q "qpmilter: id=[0-9a-f]\{16\} milter=unix:$PWD/milter.sock" \
	    "$log" || qp_fail "no log line for the milter" "$log"
	grep -q "id $id" "$f" || atf_fail "smtpd's Received names no $id"
	grep -qx "macro_i $id" peer.log ||
	    qp_fail "the milter was told another id than $id" peer.log
	qp_queue_clean
}
changes_cleanup() {
	stop_milter
	qp_stop
}

atf_test_case verdicts cleanup
verdicts_head() {
	atf_set "descr" "the milter's refusal (554), deferral (451) and" \
	    "discard; a new body; a recipient added and one removed; a new" \
	    "sender; a quarantine (queued held until qctl release); a" \
	    "second milter gone under -d accept keeps the first one's changes"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "90"
}
verdicts_body() {
	setup
	start_milter milter_peer.py "$PWD/peer.log"
	send rej reject alice@example.test
	send tmp tempfail alice@example.test
	send dis discard alice@example.test
	send bod body alice@example.test
	send add addrcpt alice@example.test
	send del delrcpt alice@example.test bob@example.test
	send frm chgfrom alice@example.test
	send qua quarantine alice@example.test
	# two milters, the second gone, -d accept: the first one's changes
	echo "$QPOST_LIBEXEC/qpmilter -d accept unix:$PWD/milter.sock" \
	    "unix:$PWD/none.sock" > "$QPOST_CONTROL/filter"
	send two two alice@example.test
	grep -q '^554 5\.' r.rej || atf_fail "reject: $(cat r.rej)"
	grep -q 'result=reject text="550 5.7.1 spam detected by the peer"' \
	    "$log" || qp_fail "the milter's text is not in the log" "$log"
	grep -q '^451 4\.' r.tmp || atf_fail "tempfail: $(cat r.tmp)"
	grep -q 'result=tempfail text="451 4.7.1 the peer is busy"' "$log" ||
	    qp_fail "no log line for the deferral" "$log"
	for t in dis bod add del frm qua two; do
		grep -q '^250 ' r.$t || atf_fail "$t: $(cat r.$t)"
	done
	grep -q 'result=discard' "$log" || qp_fail "no discard line" "$log"
	# alice: bod, add, frm, two (and qua once released); bob: add, del
	qp_wait_for 4 "$QP_DIR/$A" 30
	qp_wait_for 2 "$QP_DIR/$B" 30
	# the quarantined one: held in the queue, delivered once released
	grep -q "milter=unix:$PWD/milter.sock quarantined: held text=\"for a human\"" \
	    "$log" || qp_fail "no quarantine line" "$log"
	delivered "$A" qua >/dev/null && atf_fail "the held one was delivered"
	id=$("$QPOST_LIBEXEC/qstat" | sed -n 's/^id=\([0-9a-f]*\) .* held=yes$/\1/p')
	[ -n "$id" ] || atf_fail "qstat shows no message held"
	atf_check -o inline:"$id: released\n" "$QPOST_LIBEXEC/qctl" release "$id"
	qp_wait_for 5 "$QP_DIR/$A" 30
	delivered "$A" qua >/dev/null || atf_fail "the released one is missing"
	qp_queue_clean
	[ "$(qp_nfiles "$QP_DIR/$A")" -eq 5 ] ||
	    atf_fail "alice has $(qp_nfiles "$QP_DIR/$A") messages, not 5"
	[ "$(qp_nfiles "$QP_DIR/$B")" -eq 2 ] ||
	    atf_fail "bob has $(qp_nfiles "$QP_DIR/$B") messages, not 2"
	f=$(delivered "$A" bod) || atf_fail "no new body for alice"
	tail -n 2 "$f" | tr '\n' '|' | grep -qx 'a new body|of two lines|' ||
	    qp_fail "the body was not replaced" "$f"
	delivered "$B" add >/dev/null || atf_fail "the added bob got nothing"
	delivered "$A" add >/dev/null || atf_fail "alice lost the copy"
	delivered "$B" del >/dev/null || atf_fail "bob lost his copy"
	delivered "$A" del >/dev/null && atf_fail "alice was not removed"
	f=$(delivered "$A" frm) || atf_fail "no chgfrom message"
	grep -qx 'Return-Path: <new@example.test>' "$f" ||
	    qp_fail "the sender was not changed" "$f"
	grep -qx 'Subject: \[tagged\] two' "$(delivered "$A" two)" ||
	    qp_fail "the first milter's changes were lost" "$(delivered "$A" two)"
	for t in rej tmp dis; do
		delivered "$A" $t >/dev/null && atf_fail "$t was delivered"
	done
	true
}
verdicts_cleanup() {
	stop_milter
	qp_stop
}

atf_test_case local_inject cleanup
local_inject_head() {
	atf_set "descr" "qinject run by a user: the milter, on TCP this" \
	    "time, hears of no client address, and of the AUTH name when" \
	    "there is one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
local_inject_body() {
	qp_instance "$PWD/inst"
	port=$(qp_free_port) || atf_fail "no free port"
	echo "$QPOST_LIBEXEC/qpmilter inet:127.0.0.1:$port" > \
	    "$QPOST_CONTROL/filter"
	qp_start
	/usr/bin/python3 "$(atf_get_srcdir)/milter_peer.py" \
	    "inet:$port@127.0.0.1" "$PWD/peer.log" > milter.out 2>&1 &
	echo $! > milter.pid
	qp_deadline_loop 30 qp_port_open 127.0.0.1 "$port" ||
	    qp_fail "the milter did not start" milter.out
	printf 'Subject: local\nX-Test-Id: loc\n\nhi\n' > m.loc
	QPOST_AUTH_USER=carol "$QPOST_LIBEXEC/qinject" -f sender@example.test \
	    alice@example.test < m.loc 2> inject.err ||
	    qp_fail "qinject failed" inject.err
	grep -qx 'connect localhost -' peer.log ||
	    qp_fail "a client address was made up" peer.log
	grep -qx 'macro_auth carol' peer.log ||
	    qp_fail "the milter was not given the AUTH name" peer.log
	qp_wait_for 1 "$QP_DIR/$A" 30
	grep -q '^X-Milter: ' "$(delivered "$A" loc)" ||
	    atf_fail "the milter's field is missing"
}
local_inject_cleanup() {
	stop_milter
	qp_stop
}

atf_test_case dsn cleanup
dsn_head() {
	atf_set "descr" "the DSN requests after the envelope go on to" \
	    "qinject with their recipients: kept when the milter changes the" \
	    "message, each with its address when it adds or removes one"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
dsn_body() {
	# no sched: the drop files stay in drop/ to be read
	qp_instance "$PWD/inst"
	echo "$QPOST_LIBEXEC/qpmilter unix:$PWD/milter.sock" > \
	    "$QPOST_CONTROL/filter"
	start_milter milter_peer.py "$PWD/peer.log"
	# inject SUBJECT ENVELOPE - qinject -Q, the drop file's envelope
	# into env.SUBJECT
	inject() {
		printf 'Subject: %s\n\nhi\n' "$1" > m
		printf "$2" > e
		"$QPOST_LIBEXEC/qinject" -Q < m 1< e 2> inject.err ||
		    qp_fail "qinject -Q failed" inject.err
		qp_drop_env "$QPOST_QUEUE"/drop/* > "env.$1"
		rm -f "$QPOST_QUEUE"/drop/*
	}
	inject tag 'Fs@example.test\0Talice@example.test\0\0DRET=HDRS\0N\0'
	inject addrcpt 'Fs@example.test\0Talice@example.test\0\0DENVID=e1\0'\
'NNOTIFY=SUCCESS\0'
	inject delrcpt 'Fs@example.test\0Talice@example.test\0'\
'Tbob@example.test\0\0D\0NNOTIFY=NEVER\0NNOTIFY=DELAY ORCPT=rfc822;b\0'
	atf_check -o inline:"F s@example.test\nT alice@example.test\nY H\n\
Z \n" cat env.tag
	atf_check -o inline:"F s@example.test\nT alice@example.test\nD S\n\
T bob@example.test\nJ e1\nZ \n" cat env.addrcpt
	atf_check -o inline:"F s@example.test\nT bob@example.test\nD D\n\
X rfc822;b\nZ \n" cat env.delrcpt
}
dsn_cleanup() {
	stop_milter
	qp_stop
}

atf_test_case opendkim cleanup
opendkim_head() {
	atf_set "descr" "OpenDKIM, a milter as administrators run it, signs" \
	    "a message through qpmilter, and dkimpy verifies the copy" \
	    "delivered: header fields and body reach the milter as they" \
	    "are, and its folded signature comes back intact"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver opendkim opendkim-genkey"
	atf_set "timeout" "60"
}
opendkim_body() {
	setup "unix:$PWD/milter.sock"
	mkdir dk
	opendkim-genkey -b 1024 -D dk -s sel -d example.test ||
	    atf_fail "opendkim-genkey failed"
	# RequireSafeKeys: the test's folder is under /tmp, which others
	# may write, and OpenDKIM would refuse its key
	printf '%s\n' "Mode s" "Domain example.test" "Selector sel" \
	    "KeyFile $PWD/dk/sel.private" "Socket local:$PWD/milter.sock" \
	    "Background no" "Syslog no" "RequireSafeKeys false" \
	    "SignHeaders From,To,Subject,Date,Message-ID" \
	    "Canonicalization relaxed/simple" > od.conf
	opendkim -f -x "$PWD/od.conf" > milter.out 2>&1 &
	echo $! > milter.pid
	wait_milter
	qp_msg dkim > m.dkim
	qp_smtp_send m.dkim alice@example.test
	qp_wait_for 1 "$QP_DIR/$A" 30
	f=$(delivered "$A" dkim) || atf_fail "the signed message is missing"
	grep -q '^DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/simple; d=example.test; s=sel;$' \
	    "$f" || qp_fail "not signed" "$f"
	/usr/bin/python3 - "$f" dk/sel.txt <<'PY' ||
import re, sys
import dkim
rec = "".join(re.findall(r'"([^"]*)"', open(sys.argv[2]).read())).encode()
msg = open(sys.argv[1], "rb").read().replace(b"\n", b"\r\n")
sys.exit(0 if dkim.verify(msg, dnsfunc=lambda name, timeout=5: rec) else 1)
PY
	    qp_fail "the signature does not verify" "$f"
}
opendkim_cleanup() {
	stop_milter
	qp_stop
}

atf_test_case failures cleanup
failures_head() {
	atf_set "descr" "no milter listening, one too slow, and each way" \
	    "milter_hostile.py breaks the protocol: 451 and a log line that" \
	    "says what broke, nothing queued; -d accept queues the message" \
	    "as it was; -d reject refuses it; progress replies are waited" \
	    "out"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "120"
}
failures_body() {
	setup "-t 2 unix:$PWD/milter.sock"
	filter=$QPOST_CONTROL/filter
	send gone x alice@example.test
	grep -q '^451 4\.' r.gone || atf_fail "no milter: $(cat r.gone)"
	grep -q 'result=failed text="unable to connect: No such file' \
	    "$log" || qp_fail "no log line for the missing milter" "$log"
	echo "$QPOST_LIBEXEC/qpmilter -d accept unix:$PWD/milter.sock" > \
	    "$filter"
	send acc x alice@example.test
	grep -q '^250 ' r.acc || atf_fail "-d accept: $(cat r.acc)"
	echo "$QPOST_LIBEXEC/qpmilter -d reject unix:$PWD/milter.sock" > \
	    "$filter"
	send rjt x alice@example.test
	grep -q '^554 ' r.rjt || atf_fail "-d reject: $(cat r.rjt)"

	echo "$QPOST_LIBEXEC/qpmilter -t 2 unix:$PWD/milter.sock" > "$filter"
	echo progress > mode
	start_milter milter_hostile.py "$PWD/mode"
	send prg x alice@example.test
	grep -q '^250 ' r.prg || atf_fail "progress: $(cat r.prg)"
	for m in "hang:Connection timed out" \
	    "close:unable to \\(read from\\|write to\\) the milter" \
	    "bigpacket:a packet of 2147483647 octets" \
	    "zeropacket:a packet of 0 octets" \
	    "badopt:answered 'c' (0 octets) to the option negotiation" \
	    "symlist:asks for actions 0x1df, of which qpost allows 0xff" \
	    "unaskedq:a quarantine it did not ask for" \
	    "badq:a malformed 'q'" \
	    "unasked:a change ('h') it did not ask for" \
	    "inject:a malformed value for X-A" \
	    "badname:a malformed header field name" \
	    "badcode:reply code is not 4xx or 5xx: 250" \
	    "unknown:answered 'Z' to the end of the message"; do
		echo "${m%%:*}" > mode
		send "${m%%:*}" x alice@example.test
		grep -q '^451 4\.' "r.${m%%:*}" ||
		    atf_fail "${m%%:*}: $(cat "r.${m%%:*}")"
		grep -q "result=failed text=\".*${m#*:}" "$log" ||
		    qp_fail "${m%%:*}: no log line saying ${m#*:}" "$log"
	done
	qp_wait_for 2 "$QP_DIR/$A" 30
	qp_queue_clean
	[ "$(qp_nfiles "$QP_DIR/$A")" -eq 2 ] ||
	    atf_fail "alice has $(qp_nfiles "$QP_DIR/$A") messages, not 2"
	delivered "$A" acc >/dev/null || atf_fail "-d accept lost it"
	delivered "$A" prg >/dev/null || atf_fail "progress lost it"
	true
}
failures_cleanup() {
	stop_milter
	qp_stop
}

atf_test_case client_name cleanup
client_name_head() {
	atf_set "descr" "with control/lookupclientname a milter's connect" \
	    "callback gets the client's forward-confirmed name, and the" \
	    "address in brackets without one (dnsmasq)"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver /usr/sbin/dnsmasq"
	atf_set "timeout" "60"
}
client_name_body() {
	setup
	qp_dns_start --host-record=good.test,127.0.0.2 \
	    --ptr-record=3.0.0.127.in-addr.arpa,liar.test
	echo 1 > "$QPOST_CONTROL/lookupclientname"
	start_milter milter_peer.py "$PWD/peer.log"
	QP_SMTP_BIND=127.0.0.2 send good "named" alice@example.test
	QP_SMTP_BIND=127.0.0.3 send liar "unnamed" alice@example.test
	for want in "connect good.test 127.0.0.2" \
	    "connect [127.0.0.3] 127.0.0.3"; do
		grep -qxF "$want" peer.log ||
		    qp_fail "the milter was not told: $want" peer.log
	done
	qp_queue_clean
	qp_dns_stop
}
client_name_cleanup() {
	stop_milter
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case client_name
	atf_add_test_case changes
	atf_add_test_case verdicts
	atf_add_test_case local_inject
	atf_add_test_case dsn
	atf_add_test_case opendkim
	atf_add_test_case failures
}
