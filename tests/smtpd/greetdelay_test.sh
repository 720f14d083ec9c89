#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/greetdelay: smtpd under tcpserver waits that long before its
# greeting, and a client that talks meanwhile (as spam engines do; RFC
# 5321 3.1 says a client waits for the greeting) gets 554 and is
# closed, with one log line.  A client that waits is served as ever; a
# relay client and a submission listener (-a) are greeted at once.
# Clients connect from several 127/8 addresses (tcpserver's TCPREMOTEIP
# is the address the client bound), so one instance has both kinds.

. "$(atf_get_srcdir)/../lib.sh"

# py SCRIPT - run a Python script (which prints ok) with smtpd's host
# and port as argv[1:3], and check that it did.
py() {
	printf '%s\n' "$1" > t.py
	atf_check -o inline:"ok\n" /usr/bin/python3 t.py "$QP_SMTP_HOST" \
	    "$QP_SMTP_PORT"
}

PRELUDE='import socket, sys, time
def talk_first(src, line=b"EHLO bot.test\r\n"):
    """connect from src, send at once, read to the end: what came"""
    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 30,
        source_address=(src, 0))
    s.sendall(line)
    got, quit = b"", False
    while True:
        try:
            d = s.recv(4096)
        except ConnectionResetError:
            return got.decode() + "<reset>"
        if not d:
            return got.decode()
        got += d
        if b"\r\n250 " in got and not quit:
            s.sendall(b"QUIT\r\n")
            quit = True
def check(cond, what):
    if not cond:
        print(what)
        sys.exit(1)
'

atf_test_case talked_first cleanup
talked_first_head() {
	atf_set "descr" "a client that talks before the delayed greeting gets 554 5.5.1 and is closed, logged; one that waits is greeted and served"
	atf_set "require.progs" "tcpserver"
	atf_set "require.user" "unprivileged"
}
talked_first_body() {
	qp_smtpd_instance
	echo 1 > "$QPOST_CONTROL/greetdelay"
	echo 127.0.0.5 > "$QPOST_CONTROL/relay"
	"$QPOST_LIBEXEC/qcdb" relay >>"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qcdb relay failed" "$QP_DIR/qcdb.log"
	qp_smtpd_start
	py "$PRELUDE
got = talk_first(\"127.0.0.2\")
check(got.startswith(\"554 5.5.1 \") and \"talked before the greeting\" in got
    and \"220\" not in got, \"talker: \" + repr(got))
# a client that waits: greeted after the delay, then served
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 30,
    source_address=(\"127.0.0.3\", 0))
t0 = time.monotonic()
greeting = s.recv(4096).decode()
waited = time.monotonic() - t0
check(greeting.startswith(\"220 \"), \"polite: \" + repr(greeting))
check(waited >= 0.9, \"greeted after %.3f s, before the delay\" % waited)
s.sendall(b\"EHLO client.test\r\n\")
check(s.recv(4096).startswith(b\"250\"), \"no EHLO reply\")
s.close()
# a relay client talks at once and is answered
got = talk_first(\"127.0.0.5\")
check(got.startswith(\"220 \") and \"\\n250\" in got, \"relay: \" + repr(got))
print(\"ok\")"
	grep -q "ip=127.0.0.2 refused reason=talked_before_greeting bytes=15$" \
	    "$QP_DIR/smtpd.log" || qp_fail "the refusal is not logged" \
	    "$QP_DIR/smtpd.log"
	[ "$(grep -c "reason=talked_before_greeting" "$QP_DIR/smtpd.log")" \
	    -eq 1 ] || qp_fail "want one refusal" "$QP_DIR/smtpd.log"
	# a client that waits, through a whole message
	qp_msg 1 > m
	qp_smtp_send m alice@example.test
}
talked_first_cleanup() {
	qp_stop
}

atf_test_case not_everywhere cleanup
not_everywhere_head() {
	atf_set "descr" "without greetdelay, and on a submission listener (-a), a client that talks first is greeted and answered"
	atf_set "require.progs" "tcpserver"
	atf_set "require.user" "unprivileged"
}
not_everywhere_body() {
	qp_smtpd_instance
	qp_smtpd_start
	py "$PRELUDE
got = talk_first(\"127.0.0.2\")
check(got.startswith(\"220 \") and \"\\n250\" in got, repr(got))
print(\"ok\")"
	qp_stop
	echo 5 > "$QPOST_CONTROL/greetdelay"
	printf '#!/bin/sh\nexec "%s" -a\n' "$QPOST_LIBEXEC/smtpd" > smtpd-a
	chmod +x smtpd-a
	QP_SMTPD=$PWD/smtpd-a qp_smtpd_start
	py "$PRELUDE
t0 = time.monotonic()
got = talk_first(\"127.0.0.2\")
check(got.startswith(\"220 \") and \"\\n250\" in got, repr(got))
check(time.monotonic() - t0 < 5, \"the submission listener waited\")
print(\"ok\")"
	grep -q "talked_before_greeting" "$QP_DIR/smtpd.log" &&
	    qp_fail "a client was refused" "$QP_DIR/smtpd.log"
	return 0
}
not_everywhere_cleanup() {
	qp_stop
}

atf_test_case hung_up cleanup
hung_up_head() {
	atf_set "descr" "a client that hangs up during the delay ends the session quietly (reason=eof), nothing refused"
	atf_set "require.progs" "tcpserver"
	atf_set "require.user" "unprivileged"
}
hung_up_body() {
	qp_smtpd_instance
	echo 2 > "$QPOST_CONTROL/greetdelay"
	qp_smtpd_start
	py "$PRELUDE
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 30,
    source_address=(\"127.0.0.2\", 0))
s.close()
print(\"ok\")"
	_closed() { grep -q "ip=127.0.0.2 closed reason=eof" "$QP_DIR/smtpd.log"; }
	qp_deadline_loop 20 _closed ||
	    qp_fail "the session did not end with reason=eof" "$QP_DIR/smtpd.log"
	grep -q "talked_before_greeting" "$QP_DIR/smtpd.log" &&
	    qp_fail "a hang-up was taken for talk" "$QP_DIR/smtpd.log"
	return 0
}
hung_up_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case talked_first
	atf_add_test_case not_everywhere
	atf_add_test_case hung_up
}
