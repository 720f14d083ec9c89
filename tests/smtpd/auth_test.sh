#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# SMTP AUTH (RFC 4954) through qpauth: only inside TLS, required before
# MAIL on a submission listener (smtpd -a), good and bad credentials,
# relaying for the authenticated only, no sending as another user.

. "$(atf_get_srcdir)/../lib.sh"

# start [SMTPD-FLAGS] - an instance with a certificate, the AUTH users
# alice (secret1) and bob (secret2), qpauth on a socket, and smtpd.
start() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	QPOST_AUTHSOCKET=$QP_DIR/qpauth.sock
	QPOST_AUTHSTATE=$QP_DIR/authstate
	export QPOST_AUTHSOCKET QPOST_AUTHSTATE
	echo 1 > "$QPOST_CONTROL/authdelay"
	printf 'secret1\n' | "$QPOST_LIBEXEC/qpasswd" alice 2>>"$QP_DIR/log" &&
	    printf 'secret2\n' | "$QPOST_LIBEXEC/qpasswd" bob 2>>"$QP_DIR/log" ||
	    qp_fail "qpasswd failed"
	"$QPOST_LIBEXEC/qpauth" -d "$QPOST_AUTHSOCKET" 2>>"$QP_DIR/qpauth.log" &
	echo $! >> "$QP_DIR/pids"
	qp_deadline_loop 10 test -S "$QPOST_AUTHSOCKET" ||
	    qp_fail "qpauth did not start" "$QP_DIR/qpauth.log"
	qp_start
	printf '#!/bin/sh\nexec "%s" %s\n' "$QPOST_LIBEXEC/smtpd" "$*" > smtpd_x
	chmod 755 smtpd_x
	QP_SMTPD=$PWD/smtpd_x qp_smtpd_start "QPOST_AUTHSOCKET=$QPOST_AUTHSOCKET"
}

# py SCRIPT - run a Python script (which prints ok) with host and port
# as argv[1:3], and check that it did.
py() {
	printf '%s\n' "$1" > t.py
	atf_check -o inline:"ok\n" /usr/bin/python3 t.py "$QP_SMTP_HOST" \
	    "$QP_SMTP_PORT"
}

PRELUDE='import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
def plain():
    s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=30)
    s.ehlo("client.test")
    return s
def tls():
    s = plain()
    s.starttls(context=ctx)
    s.ehlo("client.test")
    return s
def expect(got, code):
    if got[0] != code:
        print("expected", code, "got", got)
        sys.exit(1)
'

atf_test_case submission cleanup
submission_head() {
	atf_set "descr" "on a submission listener AUTH is neither offered nor" \
	    "accepted before TLS, MAIL needs AUTH (530), and after TLS" \
	    "and good credentials alice may relay; ESMTPSA in Received:"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
submission_body() {
	start -a
	py "$PRELUDE
s = plain()
if s.has_extn('auth'): sys.exit('AUTH offered in clear')
expect(s.docmd('AUTH', 'PLAIN AGFsaWNlAHNlY3JldDE='), 538)
expect(s.docmd('MAIL', 'FROM:<alice@example.test>'), 530)
s = tls()
if not s.has_extn('auth'): sys.exit('AUTH not offered inside TLS')
expect(s.docmd('MAIL', 'FROM:<alice@example.test>'), 530)
s.login('alice', 'secret1')
s.sendmail('alice@example.test', ['someone@remote.test', 'bob@example.test'],
    b'Subject: submitted\r\n\r\nhello\r\n')
s.quit()
print('ok')"
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"with ESMTPSA \\(TLSv1\\.[23]:" sh -c \
	    "cat '$QP_DIR'/home/bob/Maildir/new/*"
	atf_check -o match:"auth=ok user=alice" cat "$QP_DIR/smtpd.log"
	atf_check -s exit:1 grep -r secret1 "$QP_DIR/smtpd.log" \
	    "$QP_DIR/qpauth.log" "$QP_DIR/log"
}
submission_cleanup() {
	qp_stop
}

atf_test_case bad_password cleanup
bad_password_head() {
	atf_set "descr" "a bad password gets 535 5.7.8 and never relays;" \
	    "AUTH cancelled with * gets 501"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_password_body() {
	start
	py "$PRELUDE
s = tls()
try:
    s.login('alice', 'wrong')
    sys.exit('a bad password was accepted')
except smtplib.SMTPAuthenticationError as e:
    if e.smtp_code != 535 or not e.smtp_error.startswith(b'5.7.8'):
        sys.exit('reply %r' % (e,))
expect(s.docmd('MAIL', 'FROM:<alice@example.test>'), 250)
expect(s.docmd('RCPT', 'TO:<someone@remote.test>'), 550)
expect(s.docmd('RSET'), 250)
expect(s.docmd('AUTH', 'LOGIN'), 334)
expect(s.docmd('*'), 501)
expect(s.docmd('AUTH', 'CRAM-MD5'), 504)
s.quit()
print('ok')"
	atf_check -o match:"auth=failed user=alice" cat "$QP_DIR/smtpd.log"
	atf_check -s exit:1 grep -r wrong "$QP_DIR/smtpd.log" "$QP_DIR/qpauth.log"
}
bad_password_cleanup() {
	qp_stop
}

atf_test_case sender_owned cleanup
sender_owned_head() {
	atf_set "descr" "an authenticated user cannot use another user's" \
	    "address as envelope sender (553 5.7.1)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
sender_owned_body() {
	start -a
	py "$PRELUDE
s = tls()
s.login('alice', 'secret1')
expect(s.docmd('MAIL', 'FROM:<bob@example.test>'), 553)
expect(s.docmd('MAIL', 'FROM:<alice@example.test>'), 250)
s.quit()
print('ok')"
}
sender_owned_cleanup() {
	qp_stop
}

atf_test_case clients cleanup
clients_head() {
	atf_set "descr" "swaks --tls with AUTH and curl --ssl-reqd with a" \
	    "user submit"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "swaks curl"
	atf_set "timeout" "90"
}
clients_body() {
	start -a
	atf_check -o match:"250 2.0.0 Ok: queued as" swaks --server \
	    "$QP_SMTP_HOST:$QP_SMTP_PORT" --tls -au alice -ap secret1 \
	    --from alice@example.test --to bob@example.test
	printf 'Subject: by curl\r\n\r\nhello\r\n' > m
	atf_check -o ignore -e ignore curl -s --ssl-reqd --insecure \
	    "smtp://$QP_SMTP_HOST:$QP_SMTP_PORT" --user alice:secret1 \
	    --mail-from alice@example.test --mail-rcpt bob@example.test \
	    --upload-file m
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 30
}
clients_cleanup() {
	qp_stop
}

atf_test_case smtps cleanup
smtps_head() {
	atf_set "descr" "smtplib SMTP_SSL logs in and submits to smtpd -s -a"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smtps_body() {
	start -s -a
	py "$PRELUDE
s = smtplib.SMTP_SSL(sys.argv[1], int(sys.argv[2]), timeout=30, context=ctx)
s.ehlo('client.test')
s.login('bob', 'secret2')
s.sendmail('bob@example.test', ['alice@example.test'], b'Subject: ssl\r\n\r\nhi\r\n')
s.quit()
print('ok')"
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
}
smtps_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case submission
	atf_add_test_case bad_password
	atf_add_test_case sender_owned
	atf_add_test_case clients
	atf_add_test_case smtps
}
