#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# TLS in smtpd: STARTTLS (RFC 3207) and implicit TLS (smtpd -s, RFC
# 8314) against real clients (openssl s_client, swaks, Python's
# smtplib), the STARTTLS injection of CVE-2011-0411, the session reset
# after the handshake, a failed handshake, no certificate, a broken
# one, and a renewed certificate picked up without a restart.  Each
# case makes its own self-signed certificate in its work directory.

. "$(atf_get_srcdir)/../lib.sh"

A=home/alice/Maildir/new

# start [-s] - an instance with a certificate and smtpd listening
# (with -s: smtpd -s, implicit TLS, through a wrapper, since
# qp_smtpd_start puts its arguments before the program).
start() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	qp_start
	if [ "${1:-}" = -s ]; then
		printf '#!/bin/sh\nexec "%s" -s\n' \
		    "$QPOST_LIBEXEC/smtpd" > smtpd_s
		chmod 755 smtpd_s
		QP_SMTPD=$PWD/smtpd_s qp_smtpd_start
	else
		qp_smtpd_start
	fi
}

# received_tls - the delivered message's Received: line says ESMTPS
# and the TLS version and cipher.
received_tls() {
	qp_wait_for 1 "$QP_DIR/$A" 30
	atf_check -o match:"with ESMTPS \(TLSv1\.[23]:[A-Z0-9_-]+:[0-9]+\) id [0-9a-f]{16}" \
	    -o match:"for <alice@example\.test>; " sh -c "cat '$QP_DIR'/$A/*"
}

swaks_data() {
	head -c -1 "$1" > "$1.swaks"
}

atf_test_case s_client cleanup
s_client_head() {
	atf_set "descr" "openssl s_client -starttls smtp completes; EHLO" \
	    "inside TLS no longer offers STARTTLS"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "openssl"
	atf_set "timeout" "60"
}
s_client_body() {
	start
	atf_check -o match:"250 2\.0\.0 Ok" -o match:"250-PIPELINING" \
	    -o not-match:"STARTTLS" -o match:"221 2\.0\.0" -e ignore \
	    sh -c "printf 'EHLO inside.test\nNOOP\nQUIT\n' | timeout 20 \
	    openssl s_client -starttls smtp -crlf -quiet \
	    -connect 127.0.0.1:$QP_SMTP_PORT"
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    "starttls version=TLSv1\.[23] cipher=" 10
	qp_stop "$QP_DIR"
}
s_client_cleanup() {
	qp_stop
}

atf_test_case swaks_tls cleanup
swaks_tls_head() {
	atf_set "descr" "swaks --tls delivers; Received: says ESMTPS and" \
	    "the TLS version and cipher"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "swaks"
	atf_set "timeout" "60"
}
swaks_tls_body() {
	start
	qp_msg tls1 > m
	swaks_data m
	atf_check -o match:"<~  250 2\.0\.0 Ok: queued as [0-9a-f]{16}" \
	    -o match:"TLS started" -e ignore swaks --server 127.0.0.1 \
	    --port "$QP_SMTP_PORT" --tls --helo client.test \
	    --from sender@example.test --to alice@example.test \
	    --data @m.swaks --timeout 10
	received_tls
	qp_stop "$QP_DIR"
}
swaks_tls_cleanup() {
	qp_stop
}

atf_test_case swaks_tlsc cleanup
swaks_tlsc_head() {
	atf_set "descr" "swaks --tlsc against smtpd -s (implicit TLS):" \
	    "delivered, Received: says ESMTPS and the TLS version"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "swaks"
	atf_set "timeout" "60"
}
swaks_tlsc_body() {
	start -s
	qp_msg tls2 > m
	swaks_data m
	atf_check -o match:"<~  220 .* ESMTP qpost" \
	    -o match:"<~  250 2\.0\.0 Ok: queued as [0-9a-f]{16}" \
	    -o not-match:"STARTTLS" -e ignore swaks --server 127.0.0.1 \
	    --port "$QP_SMTP_PORT" --tlsc --helo client.test \
	    --from sender@example.test --to alice@example.test \
	    --data @m.swaks --timeout 10
	received_tls
	qp_stop "$QP_DIR"
}
swaks_tlsc_cleanup() {
	qp_stop
}

atf_test_case smtplib_starttls cleanup
smtplib_starttls_head() {
	atf_set "descr" "Python smtplib: starttls() then sendmail delivers"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smtplib_starttls_body() {
	start
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), "client.test",
                  timeout=10) as s:
    s.ehlo()
    assert s.has_extn("starttls")
    code, msg = s.starttls(context=ctx)
    assert code == 220, (code, msg)
    s.ehlo()
    assert not s.has_extn("starttls")
    refused = s.sendmail("sender@example.test", ["alice@example.test"],
                         b"Subject: py\r\nX-Test-Id: tls3\r\n\r\nhi\r\n")
    assert refused == {}, refused
print("ok")
PY
	received_tls
	qp_stop "$QP_DIR"
}
smtplib_starttls_cleanup() {
	qp_stop
}

atf_test_case smtplib_ssl cleanup
smtplib_ssl_head() {
	atf_set "descr" "Python smtplib.SMTP_SSL against smtpd -s delivers"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smtplib_ssl_body() {
	start -s
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP_SSL("127.0.0.1", int(sys.argv[1]), "client.test",
                      timeout=10, context=ctx) as s:
    s.ehlo()
    assert not s.has_extn("starttls")
    assert s.sock.version() in ("TLSv1.2", "TLSv1.3"), s.sock.version()
    refused = s.sendmail("sender@example.test", ["alice@example.test"],
                         b"Subject: py\r\nX-Test-Id: tls4\r\n\r\nhi\r\n")
    assert refused == {}, refused
print("ok")
PY
	received_tls
	qp_stop "$QP_DIR"
}
smtplib_ssl_cleanup() {
	qp_stop
}

atf_test_case injection cleanup
injection_head() {
	atf_set "descr" "CVE-2011-0411: STARTTLS, RSET and MAIL in one write" \
	    "get one reply in clear text (220), and nothing from that write" \
	    "is answered inside TLS"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
injection_body() {
	start
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import socket, ssl, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
def reply(rd):
    lines = []
    while True:
        l = rd.readline()
        assert l, "connection closed"
        lines.append(l)
        if l[3:4] != b"-":
            return lines
assert reply(f)[0].startswith(b"220 ")
s.sendall(b"EHLO client.test\r\n")
assert any(b"STARTTLS" in l for l in reply(f))
s.sendall(b"STARTTLS\r\nRSET\r\nMAIL FROM:<a@b>\r\n")
# exactly one clear-text reply, and nothing after it
clear = b""
s.settimeout(1.0)
while not clear.endswith(b"\r\n") or clear.count(b"\r\n") < 1:
    clear += s.recv(1)
try:
    more = s.recv(100)
except socket.timeout:
    more = b""
assert clear == b"220 2.0.0 Ready to start TLS\r\n", clear
assert more == b"", ("more clear text", more)
s.settimeout(10)
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
t = ctx.wrap_socket(s, server_hostname="mx.example.test")
tf = t.makefile("rb")
# the first thing inside TLS must answer our HELP, not RSET or MAIL
t.sendall(b"HELP\r\n")
first = reply(tf)
assert first[0].startswith(b"214 "), first
t.sendall(b"QUIT\r\n")
assert reply(tf)[0].startswith(b"221 ")
print("ok")
PY
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    "starttls discarded=[0-9][0-9]* reason=pipelined_before_handshake" 10
	qp_stop "$QP_DIR"
}
injection_cleanup() {
	qp_stop
}

atf_test_case reset cleanup
reset_head() {
	atf_set "descr" "after STARTTLS the session starts over: MAIL before" \
	    "a new EHLO is 503, STARTTLS inside TLS is 503, and STARTTLS" \
	    "with an argument is 501"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
reset_body() {
	start
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), "client.test",
                  timeout=10) as s:
    s.ehlo()
    code, msg = s.docmd("STARTTLS", "now")
    assert code == 501, (code, msg)
    code, msg = s.docmd("MAIL", "FROM:<a@example.test>")
    assert code == 250, (code, msg)
    code, msg = s.starttls(context=ctx)
    assert code == 220, (code, msg)
    # the transaction and the EHLO before TLS are gone
    code, msg = s.docmd("MAIL", "FROM:<a@example.test>")
    assert code == 503 and msg.startswith(b"5.5.1"), (code, msg)
    s.ehlo()
    assert not s.has_extn("starttls")
    code, msg = s.docmd("STARTTLS")
    assert code == 503 and msg.startswith(b"5.5.1"), (code, msg)
    code, msg = s.docmd("MAIL", "FROM:<a@example.test>")
    assert code == 250, (code, msg)
print("ok")
PY
	qp_stop "$QP_DIR"
}
reset_cleanup() {
	qp_stop
}

atf_test_case bad_handshake cleanup
bad_handshake_head() {
	atf_set "descr" "garbage instead of a ClientHello: the connection" \
	    "is closed and the log has one line about it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_handshake_body() {
	start
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
f = s.makefile("rb")
assert f.readline().startswith(b"220 ")
s.sendall(b"STARTTLS\r\n")
assert f.readline() == b"220 2.0.0 Ready to start TLS\r\n"
s.sendall(b"this is not a ClientHello\r\n" * 10)
data = b""
while True:
    try:
        d = s.recv(4096)
    except ConnectionResetError:
        break
    if not d:
        break
    data += d
assert len(data) < 100, data	# at most a TLS alert, never SMTP text
print("ok")
PY
	qp_wait_file_match "$QP_DIR/smtpd.log" "reason=tls_handshake" 10
	atf_check -o inline:"1\n" sh -c \
	    "grep -c 'tls' '$QP_DIR/smtpd.log'"
	qp_stop "$QP_DIR"
}
bad_handshake_cleanup() {
	qp_stop
}

atf_test_case no_cert cleanup
no_cert_head() {
	atf_set "descr" "no certificate: STARTTLS is not advertised and" \
	    "gets 502; a broken one: not advertised, 454 4.7.0"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
no_cert_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
	cat > check.py <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), "client.test",
                  timeout=10) as s:
    s.ehlo()
    assert not s.has_extn("starttls")
    code, msg = s.docmd("STARTTLS")
    assert code == int(sys.argv[2]), (code, msg)
    assert msg.startswith(sys.argv[3].encode()), (code, msg)
    code, msg = s.noop()
    assert code == 250, (code, msg)
print("ok")
PY
	atf_check -o inline:"ok\n" /usr/bin/python3 check.py \
	    "$QP_SMTP_PORT" 502 5.5.1
	echo "not a certificate" > "$QPOST_CONTROL/tls.crt"
	echo "not a key" > "$QPOST_CONTROL/tls.key"
	atf_check -o inline:"ok\n" /usr/bin/python3 check.py \
	    "$QP_SMTP_PORT" 454 4.7.0
	qp_stop "$QP_DIR"
}
no_cert_cleanup() {
	qp_stop
}

atf_test_case renewed cleanup
renewed_head() {
	atf_set "descr" "a renewed certificate (file replaced) is used by" \
	    "the next connection, without a restart"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "openssl"
	atf_set "timeout" "60"
}
fingerprint() {
	openssl x509 -noout -fingerprint -sha256
}
# served - the fingerprint of the certificate a client that names no
# host gets (served_as, below)
served() {
	served_as none
}
renewed_body() {
	start
	old=$(fingerprint < "$QPOST_CONTROL/tls.crt")
	[ "$(served)" = "$old" ] || atf_fail "served $(served), not $old"
	qp_mkcert "$QPOST_CONTROL"
	new=$(fingerprint < "$QPOST_CONTROL/tls.crt")
	[ "$new" != "$old" ] || atf_fail "openssl made the same certificate"
	[ "$(served)" = "$new" ] || atf_fail "served $(served), not $new"
	qp_stop "$QP_DIR"
}
renewed_cleanup() {
	qp_stop
}

atf_test_case sni cleanup
sni_head() {
	atf_set "descr" "a client that names a host of control/tlshosts gets" \
	    "that host's certificate, others get tls.crt; the name is" \
	    "logged; a certificate without its key is logged and skipped"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "openssl"
	atf_set "timeout" "60"
}
# served_as NAME [-s] - the fingerprint of the certificate a client
# that names NAME gets (none: -noservername), by STARTTLS or, with
# -s, implicit TLS
served_as() {
	if [ "$1" = none ]; then _sn=-noservername; else _sn="-servername $1"; fi
	_st="-starttls smtp"
	[ "${2:-}" = -s ] && _st=
	# shellcheck disable=SC2086 # the options are words
	printf 'QUIT\r\n' | timeout 20 openssl s_client $_st $_sn \
	    -connect "127.0.0.1:$QP_SMTP_PORT" 2>/dev/null | fingerprint
}
sni_body() {
	start
	qp_mkca "$PWD/ca"
	mkdir "$QPOST_CONTROL/tlshosts"
	for n in mail.other.test smtp.third.test; do
		qp_mkcert_signed "$PWD/ca" "$n"
		cp "ca/$n.crt" "ca/$n.key" "$QPOST_CONTROL/tlshosts/"
	done
	# a certificate without its key: skipped, logged
	cp ca/ca.crt "$QPOST_CONTROL/tlshosts/lonely.test.crt"
	def=$(fingerprint < "$QPOST_CONTROL/tls.crt")
	other=$(fingerprint < ca/mail.other.test.crt)
	third=$(fingerprint < ca/smtp.third.test.crt)
	[ "$(served_as mail.other.test)" = "$other" ] ||
	    atf_fail "mail.other.test got $(served_as mail.other.test)"
	[ "$(served_as SMTP.Third.Test)" = "$third" ] ||
	    atf_fail "smtp.third.test got another certificate"
	[ "$(served_as unknown.test)" = "$def" ] ||
	    atf_fail "an unknown name did not get tls.crt"
	[ "$(served_as none)" = "$def" ] ||
	    atf_fail "no name did not get tls.crt"
	qp_wait_file_match "$QP_DIR/smtpd.log" \
	    "starttls version=TLSv1\.[23] cipher=.* bits=[0-9]* sni=mail\.other\.test" 10
	grep -q "tlshosts/lonely.test.crt is there but tlshosts/lonely.test.key is missing" \
	    "$QP_DIR/smtpd.log" ||
	    qp_fail "the lonely certificate was not logged" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
	# implicit TLS too, on a fresh instance
	rm -rf "$QP_DIR"
	start -s
	mkdir -p "$QPOST_CONTROL/tlshosts"
	cp ca/mail.other.test.crt ca/mail.other.test.key \
	    "$QPOST_CONTROL/tlshosts/"
	[ "$(served_as mail.other.test -s)" = "$other" ] ||
	    atf_fail "implicit TLS: mail.other.test got another certificate"
	qp_stop "$QP_DIR"
}
sni_cleanup() {
	qp_stop
}

atf_test_case key_modes cleanup
key_modes_head() {
	atf_set "descr" "as root, qpost-setup makes the TLS key root:qpsmtpd" \
	    "0440: qpsmtpd reads it, another account cannot"
	atf_set "require.user" "root"
	atf_set "require.progs" "openssl runuser"
	atf_set "timeout" "60"
}
key_modes_body() {
	base=$(mktemp -d /tmp/qp-tlskey.XXXXXX) || atf_fail "mktemp failed"
	echo "$base" > base
	chmod 0755 "$base"
	mkdir "$base/control"
	qp_mkcert "$base/control"
	atf_check -o ignore -e ignore sh "$(qp_top)/control/qpost-setup" \
	    -c "$base/control" -q "$base/queue"
	atf_check -o inline:"root qpsmtpd 440\n" \
	    stat -c "%U %G %a" "$base/control/tls.key"
	atf_check -o inline:"root root 644\n" \
	    stat -c "%U %G %a" "$base/control/tls.crt"
	atf_check -o match:"PRIVATE KEY" runuser -u qpsmtpd -- \
	    cat "$base/control/tls.key"
	id qptest >/dev/null 2>&1 || useradd --system --no-create-home \
	    --shell /usr/sbin/nologin qptest
	for u in qptest qpqueue qpremote qpauth; do
		atf_check -s not-exit:0 -o empty -e ignore runuser -u "$u" -- \
		    cat "$base/control/tls.key"
	done
}
key_modes_cleanup() {
	[ -s base ] && rm -rf "$(cat base)"
	return 0
}

atf_init_test_cases() {
	atf_add_test_case s_client
	atf_add_test_case sni
	atf_add_test_case swaks_tls
	atf_add_test_case swaks_tlsc
	atf_add_test_case smtplib_starttls
	atf_add_test_case smtplib_ssl
	atf_add_test_case injection
	atf_add_test_case reset
	atf_add_test_case bad_handshake
	atf_add_test_case no_cert
	atf_add_test_case renewed
	atf_add_test_case key_modes
}
