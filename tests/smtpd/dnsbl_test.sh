#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# DNSBL (RFC 5782) in smtpd, against zones that dnsmasq serves on a
# loopback port: clients connect from several 127/8 addresses (the
# kernel routes all of 127/8 to lo, and tcpserver's TCPREMOTEIP is the
# address the client bound), so one instance has listed, unlisted,
# relay and authenticated clients.  A listed client gets 554 5.7.1 with
# the list's TXT text (or the zone's own message) at each RCPT, or at
# the greeting (control/dnsblrefuse); an unlisted, a relay and an
# authenticated one do not; a DNSBL server that never answers delays
# the session by at most control/timeoutdnsbl and refuses nothing.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# py SCRIPT - run a Python script (which prints ok) with smtpd's host
# and port as argv[1:3], and check that it did.
py() {
	printf '%s\n' "$1" > t.py
	atf_check -o inline:"ok\n" /usr/bin/python3 t.py "$QP_SMTP_HOST" \
	    "$QP_SMTP_PORT"
}

PRELUDE='import smtplib, socket, ssl, sys, time
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def expect(got, code, text=None):
    words = got[1].decode() if isinstance(got[1], bytes) else got[1]
    if got[0] != code or (text is not None and text not in words):
        print("expected", code, text, "got", got)
        sys.exit(1)
def session(src, greeting=220, text=None):
    s = smtplib.SMTP(timeout=30, source_address=(src, 0))
    expect(s.connect(sys.argv[1], int(sys.argv[2])), greeting, text)
    s._host = sys.argv[1]	# for starttls: SMTP() without a host has ""
    return s
def proxied(client):
    # from the balancer 127.0.0.7 (control/proxyfrom), for client
    s = smtplib.SMTP(timeout=30)
    s.sock = socket.create_connection((sys.argv[1], int(sys.argv[2])),
        30, source_address=("127.0.0.7", 0))
    s.sock.sendall(("PROXY TCP4 %s 127.0.0.1 40000 25\r\n" % client).encode())
    expect(s.getreply(), 220)
    return s
def rcpt(src, to, code, text=None):
    s = session(src)
    s.ehlo("client.test")
    expect(s.docmd("MAIL", "FROM:<someone@client.test>"), 250)
    expect(s.docmd("RCPT", "TO:<%s>" % to), code, text)
    s.quit()
'

TXT="Listed by bl.test: see http://bl.test/q?127.0.0.2"

atf_test_case dnsbl cleanup
dnsbl_head() {
	atf_set "descr" "a listed client gets 554 5.7.1 with the list's TXT" \
	    "text (or the zone's message) at RCPT, or at the greeting and" \
	    "503 after, also behind a balancer; unlisted, relay and" \
	    "authenticated clients do not; one log line per listing; a" \
	    "DNSBL server that never answers delays by at most" \
	    "control/timeoutdnsbl and refuses nothing (one instance)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
dnsbl_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	# 127.0.0.2 (RFC 5782's test entry) and the relay client 127.0.0.5
	# in bl.test; 127.0.0.3 in bl2.test with an answer that zone does
	# not count, 127.0.0.6 with one it does
	qp_dns_start --host-record=2.0.0.127.bl.test,127.0.0.2 \
	    --txt-record=2.0.0.127.bl.test,"$TXT" \
	    --host-record=5.0.0.127.bl.test,127.0.0.2 \
	    --host-record=3.0.0.127.bl2.test,127.0.0.9 \
	    --host-record=6.0.0.127.bl2.test,127.0.0.10
	printf '# zones\nbl.test\nbl2.test 127.0.0.10 Refused: %%i is in %%z\n' \
	    > "$QPOST_CONTROL/dnsbl"
	echo 127.0.0.5 > "$QPOST_CONTROL/relay"
	"$QPOST_LIBEXEC/qcdb" relay >>"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qcdb relay failed" "$QP_DIR/qcdb.log"
	# AUTH: alice (secret1), through qpauth on a socket
	QPOST_AUTHSOCKET=$QP_DIR/qpauth.sock
	QPOST_AUTHSTATE=$QP_DIR/authstate
	export QPOST_AUTHSOCKET QPOST_AUTHSTATE
	printf 'secret1\n' | "$QPOST_LIBEXEC/qpasswd" alice \
	    2>>"$QP_DIR/log" || qp_fail "qpasswd failed"
	"$QPOST_LIBEXEC/qpauth" -d "$QPOST_AUTHSOCKET" \
	    2>>"$QP_DIR/qpauth.log" &
	echo $! >> "$QP_DIR/pids"
	qp_deadline_loop 10 test -S "$QPOST_AUTHSOCKET" ||
	    qp_fail "qpauth did not start" "$QP_DIR/qpauth.log"
	echo 127.0.0.7 > "$QPOST_CONTROL/proxyfrom"
	qp_smtpd_start "QPOST_AUTHSOCKET=$QPOST_AUTHSOCKET"

	# at RCPT (the default), every RCPT
	py "$PRELUDE
s = session('127.0.0.2')
s.ehlo('client.test')
expect(s.docmd('MAIL', 'FROM:<someone@client.test>'), 250)
expect(s.docmd('RCPT', 'TO:<alice@example.test>'), 554, '5.7.1 $TXT')
expect(s.docmd('RCPT', 'TO:<postmaster@example.test>'), 554, '$TXT')
s.quit()
rcpt('127.0.0.6', 'alice@example.test', 554,
    '5.7.1 Refused: 127.0.0.6 is in bl2.test')
# listed nowhere, and an answer bl2.test does not count
rcpt('127.0.0.1', 'alice@example.test', 250)
rcpt('127.0.0.3', 'alice@example.test', 250)
# a relay client, though listed, relays
rcpt('127.0.0.5', 'someone@remote.test', 250)
# authenticated, though listed
s = session('127.0.0.2')
s.ehlo('client.test')
s.starttls(context=ctx)
s.ehlo('client.test')
s.login('alice', 'secret1')
expect(s.docmd('MAIL', 'FROM:<alice@example.test>'), 250)
expect(s.docmd('RCPT', 'TO:<someone@remote.test>'), 250)
expect(s.docmd('RCPT', 'TO:<bob@example.test>'), 250)
s.quit()
# behind a balancer the client is known after its header, read in the
# sandbox: the lookups are made there
for client, code in (('127.0.0.2', 554), ('127.0.0.3', 250)):
    s = proxied(client)
    s.ehlo('client.test')
    expect(s.docmd('MAIL', 'FROM:<someone@client.test>'), 250)
    expect(s.docmd('RCPT', 'TO:<alice@example.test>'), code,
        '$TXT' if code == 554 else None)
    s.quit()
print('ok')"
	# one line per listing: 127.0.0.2 three times (plain, AUTH, behind
	# the balancer), 127.0.0.6 once; none for the relay client, which
	# is not even looked up, nor for the balancer
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    'ip=127.0.0.6 dnsbl=listed zone=bl2.test answer=127.0.0.10 refuse=rcpt' \
	    10
	[ "$(grep -c 'ip=127.0.0.2 dnsbl=listed zone=bl.test answer=127.0.0.2 refuse=rcpt' \
	    "$QP_DIR/smtpd.log")" -eq 3 ] ||
	    qp_fail "not three listing lines for 127.0.0.2" "$QP_DIR/smtpd.log"
	! grep -q 'ip=127.0.0.[1357] dnsbl=' "$QP_DIR/smtpd.log" ||
	    qp_fail "a dnsbl line for an unlisted or relay client" \
	    "$QP_DIR/smtpd.log"

	# at the greeting: 554, then 503 to all but QUIT; read per session
	echo connect > "$QPOST_CONTROL/dnsblrefuse"
	py "$PRELUDE
s = session('127.0.0.2', 554, '5.7.1 $TXT')
expect(s.docmd('EHLO', 'client.test'), 503, '$TXT')
expect(s.docmd('MAIL', 'FROM:<someone@client.test>'), 503)
expect(s.docmd('QUIT'), 221)
s.close()
rcpt('127.0.0.3', 'alice@example.test', 250)
rcpt('127.0.0.5', 'someone@remote.test', 250)
print('ok')"
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    'ip=127.0.0.2 dnsbl=listed zone=bl.test answer=127.0.0.2 refuse=connect' \
	    10

	# a DNSBL server that never answers (control files are read per
	# session): the greeting waits out control/timeoutdnsbl, no more,
	# and nothing is refused.  The server: a UDP port that reads every
	# query and answers none; its command line names the queue so that
	# qp_stop knows it for ours.
	/usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    s.recv(4096)' "$PWD/silent.port" "QPOST_QUEUE=$QPOST_QUEUE" \
	    </dev/null >/dev/null 2>silent.err &
	echo $! >> "$QP_DIR/pids"
	qp_deadline_loop 10 test -s silent.port ||
	    qp_fail "the silent server did not start" silent.err
	echo "127.0.0.1:$(cat silent.port)" > "$QPOST_CONTROL/resolvers"
	echo 1 > "$QPOST_CONTROL/timeoutdnsbl"
	py "$PRELUDE
t0 = time.monotonic()
s = session('127.0.0.2')
waited = time.monotonic() - t0
s.ehlo('client.test')
expect(s.docmd('MAIL', 'FROM:<someone@client.test>'), 250)
expect(s.docmd('RCPT', 'TO:<alice@example.test>'), 250)
s.quit()
# the budget is 1 s for both zones: waited out (smtpd's own measure,
# in its log, is checked below, free of the time a loaded machine
# takes to start it)
if waited < 0.9 or waited > 4:
    sys.exit('greeting after %.1f s, want about 1' % waited)
print('ok')"
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    'ip=127.0.0.2 dnsbl=unchecked zones=bl.test,bl2.test reason=' 10
	[ "$(grep -c 'ip=127.0.0.2 dnsbl=unchecked' "$QP_DIR/smtpd.log")" \
	    -eq 1 ] || qp_fail "not one dnsbl=unchecked line" \
	    "$QP_DIR/smtpd.log"
	# the lookups took the budget, and at most its tenth of a second
	# of grace (and a little for a loaded machine)
	ms=$(sed -n 's/.*ip=127\.0\.0\.2 dnsbl=unchecked .* ms=\([0-9]*\)$/\1/p' \
	    "$QP_DIR/smtpd.log")
	[ -n "$ms" ] && [ "$ms" -ge 900 ] && [ "$ms" -le 1400 ] ||
	    qp_fail "the lookups took ${ms:-?} ms, want 1000 to 1100" \
	    "$QP_DIR/smtpd.log"
	qp_stop
	qp_dns_stop
}
dnsbl_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case dnsbl
}
