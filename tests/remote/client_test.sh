#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The remote sender's SMTP client against test servers that behave
# well and badly (hostile_peer.py): `remote' runs directly with
# control/smtproutes pointing at the peer, and each case checks the
# exact per-recipient result (K sent, Z deferred, D bounced), what the
# peer stored, and that remote itself always ends with a well-formed
# result in bounded time and memory.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/remote.sh"

# setup [MODE] - control files, a peer "p" on 127.0.0.2:PORT in MODE,
# and smtproutes sending example.test there; ./msg is a test message.
setup() {
	rm_control
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT"
	rm_mode p "${1:-good}"
	echo "example.test:127.0.0.2:$PORT" > control/smtproutes
	qp_msg 1 > msg
}

# stored_equal - the peer stored exactly one message, equal to ./msg.
stored_equal() {
	[ "$(rm_mails p)" -eq 1 ] || atf_fail "peer stored $(rm_mails p)" \
	    "messages, want 1"
	cmp p/mail/*.eml msg || atf_fail "the stored message differs"
}

atf_test_case delivered cleanup
delivered_head() {
	atf_set "descr" "a good server: K, the bytes arrive unchanged, one log line"
	atf_set "require.user" "unprivileged"
}
delivered_body() {
	setup good
	rm_remote example.test sender@sender.test a@example.test
	rm_expect "K ^2\.0\.0 127\.0\.0\.2\[127\.0\.0\.2\] said: 250"
	stored_equal
	grep -q "MAIL FROM:<sender@sender.test>" p/mail/*.env ||
	    atf_fail "envelope sender not sent"
	[ "$(grep -c 'id=0123456789abcdef domain=example.test mx=127.0.0.2 ip=127.0.0.2 port='"$PORT"' tls=' remote.log)" -eq 1 ] ||
	    qp_fail "want one attempt line in the log" remote.log
	grep -q 'to=<a@example.test> result=sent text="2.0.0' remote.log ||
	    qp_fail "the log line lacks the recipient's result" remote.log
}
delivered_cleanup() {
	rm_peers_stop
}

atf_test_case dot_stuffing cleanup
dot_stuffing_head() {
	atf_set "descr" "lines starting with dots, a lone dot and no final LF survive"
	atf_set "require.user" "unprivileged"
}
dot_stuffing_body() {
	setup good
	printf 'Subject: dots\n\n.\n..\n.x\nlast line without LF' > msg
	rm_remote example.test "" a@example.test
	rm_expect "K ^2\.0\.0"
	printf 'Subject: dots\n\n.\n..\n.x\nlast line without LF\n' > want
	cmp p/mail/*.eml want || atf_fail "dot-stuffing broke the message"
	grep -q "MAIL FROM:<>" p/mail/*.env || atf_fail "null sender not sent"
}
dot_stuffing_cleanup() {
	rm_peers_stop
}

atf_test_case many_recipients cleanup
many_recipients_head() {
	atf_set "descr" "50 recipients go in one pipelined transaction"
	atf_set "require.user" "unprivileged"
}
many_recipients_body() {
	setup good
	set --
	i=1
	while [ $i -le 50 ]; do
		set -- "$@" "user$i@example.test"
		i=$((i + 1))
	done
	rm_remote example.test s@sender.test "$@"
	[ "$(grep -c '^K	' result)" -eq 50 ] || atf_fail "not all 50 sent"
	stored_equal
	[ "$(grep -c '^RCPT TO:' p/mail/*.env)" -eq 50 ] ||
	    atf_fail "the stored envelope lacks recipients"
}
many_recipients_cleanup() {
	rm_peers_stop
}

atf_test_case rcpt_mixed cleanup
rcpt_mixed_head() {
	atf_set "descr" "450 and 550 per recipient in one transaction: Z, D, K"
	atf_set "require.user" "unprivileged"
}
rcpt_mixed_body() {
	setup rcpt_mixed
	rm_remote example.test s@sender.test temp1@example.test \
	    perm1@example.test ok@example.test
	rm_expect "Z ^4\.[0-9.]+ .*said: 450.*RCPT TO" \
	    "D ^5\.[0-9.]+ .*said: 550.*RCPT TO" "K ^2\.0\.0"
	stored_equal
	grep -q "RCPT TO:<ok@example.test>" p/mail/*.env ||
	    atf_fail "accepted recipient not stored"
}
rcpt_mixed_cleanup() {
	rm_peers_stop
}

atf_test_case replies cleanup
replies_head() {
	atf_set "descr" "greeting 421, MAIL 550, DATA 554 and 451, EHLO refused"
	atf_set "require.user" "unprivileged"
}
replies_body() {
	setup greet421
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z said: 421.*greeting"
	rm_mode p mail_5xx
	rm_remote example.test s@sender.test a@example.test b@example.test
	rm_expect "D said: 550.*MAIL FROM" "D said: 550.*MAIL FROM"
	rm_mode p data_5xx
	rm_remote example.test s@sender.test a@example.test
	rm_expect "D ^5\..*said: 554.*end of data"
	rm_mode p data_4xx
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\..*said: 451.*end of data"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "a refused message was stored"
	rm_mode p ehlo_refused
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	stored_equal
}
replies_cleanup() {
	rm_peers_stop
}

atf_test_case broken_peers cleanup
broken_peers_head() {
	atf_set "descr" "reset in DATA, endless line, bad multi-line reply: Z, bounded"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
broken_peers_body() {
	setup reset_in_data
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.4\.2 .*(lost|closed|reset)"
	rm_mode p bad_multiline
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.4\.2 .*malformed"
	rm_mode p endless_line
	# remote must give up on the line, not grow: cap its memory
	/usr/bin/python3 -c '
import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdin=open("msg"),
    stdout=open("result.raw", "wb"), stderr=open("remote.log", "wb"))
kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(kb, file=open("maxrss", "w"))
sys.exit(r.returncode)' "$QPOST_LIBEXEC/remote" example.test s@sender.test \
	    a@example.test || qp_fail "remote failed on an endless line" remote.log
	/usr/bin/python3 "$(atf_get_srcdir)/result.py" < result.raw > result
	rm_expect "Z ^4\.4\.2 .*(too long|long)"
	[ "$(cat maxrss)" -lt 102400 ] ||
	    atf_fail "remote grew to $(cat maxrss) KiB on an endless line"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "a message was stored"
}
broken_peers_cleanup() {
	rm_peers_stop
}

atf_test_case stalls cleanup
stalls_head() {
	atf_set "descr" "a stalled greeting and a stalled DATA time out; the dead address is reported and then skipped"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "120"
}
stalls_body() {
	setup stall_greeting
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.4\.2 .*tim" "X 127.0.0.2"
	QPOST_REMOTE_DOWN="127.0.0.9 127.0.0.2" rm_remote example.test \
	    s@sender.test a@example.test
	rm_expect "Z timed out recently"
	grep -q "ip=127.0.0.2 skipped" remote.log ||
	    qp_fail "no log line for the skipped address" remote.log
	rm_mode p stall_data
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.4\.2 .*tim.*after the message was sent"
}
stalls_cleanup() {
	rm_peers_stop
}

atf_test_case starttls cleanup
starttls_head() {
	atf_set "descr" "STARTTLS is used when offered, a failed handshake defers and is logged"
	atf_set "require.user" "unprivileged"
}
starttls_body() {
	rm_control
	mkdir cert && qp_mkcert "$PWD/cert"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT" --cert cert/tls.crt --key cert/tls.key
	echo "example.test:127.0.0.2:$PORT" > control/smtproutes
	qp_msg 1 > msg
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	grep -q "tls=1" p/mail/*.env || atf_fail "the message did not go over TLS"
	grep -Eq "tls=TLSv1\.[23] verified=no" remote.log ||
	    qp_fail "the log does not say TLS was used" remote.log
	rm_mode p starttls_fail
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.7\.5 .*TLS handshake failed"
	grep -q "TLS handshake failed" remote.log ||
	    qp_fail "the failed handshake is not logged" remote.log
	echo "example.test:none" > control/tlsdestinations
	rm_mode p good
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	[ "$(cat p/mail/*.env | grep -c 'tls=1')" -eq 1 ] ||
	    atf_fail "policy none still used TLS"
}
starttls_cleanup() {
	rm_peers_stop
}

# seven_msg - a multipart message with an 8-bit text part (a line of
# blanks at its end and one starting with a dot) and a base64 one
seven_msg() {
	printf '%s\n' 'From: s@sender.test' 'Subject: seven' \
	    'MIME-Version: 1.0' \
	    'Content-Type: multipart/mixed; boundary="=-b1"' '' \
	    'This is MIME.' '--=-b1' \
	    'Content-Type: text/plain; charset=utf-8' \
	    'Content-Transfer-Encoding: 8bit' ''
	printf 'Gr\303\274\303\237e aus K\303\266ln: = sign, blanks \t\n'
	printf '%s\n' '.a line with a dot' '--=-b1' \
	    'Content-Type: application/octet-stream' \
	    'Content-Transfer-Encoding: base64' '' 'AAECAwQF' '--=-b1--'
}

atf_test_case server_limits cleanup
server_limits_head() {
	atf_set "descr" "no 8BITMIME: 8-bit MIME parts made quoted-printable, an 8-bit header bounced; no SMTPUTF8, a SIZE limit: bounced, not mangled; plain commands without PIPELINING"
	atf_set "require.user" "unprivileged"
}
server_limits_body() {
	setup plain_esmtp
	printf 'Subject: short\n\nhi\n' > msg
	rm_remote example.test s@sender.test a@example.test b@example.test
	rm_expect "K ^2\.0\.0" "K ^2\.0\.0"
	grep -q "cmd \"DATA\"" p/log || atf_fail "no DATA in the peer log"
	# RFC 6152 3: 8-bit content goes made 7-bit, or not at all
	seven_msg > msg
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	/usr/bin/python3 "$(atf_get_srcdir)/seven_check.py" msg p/mail/2.eml \
	    > check.out || qp_fail "not made 7-bit as it should be" check.out
	grep -q "MAIL FROM:<s@sender.test> SIZE=[0-9]*$" p/mail/2.env ||
	    qp_fail "BODY=8BITMIME sent, or no SIZE" p/mail/2.env
	grep -q " body=7bit " remote.log || qp_fail "no body=7bit" remote.log
	printf 'Subject: caf\303\251\n\nx\n' > msg
	rm_remote example.test s@sender.test a@example.test
	rm_expect "D ^5\.6\.3 .*8BITMIME .*7-bit: 8-bit bytes in a header"
	# over the 64 MiB converted in memory (a sparse file)
	printf 'Subject: big\n\ncaf\303\251\n' > msg
	truncate -s 67108865 msg
	rm_remote example.test s@sender.test a@example.test
	rm_expect "D ^5\.6\.3 .*7-bit: it is larger than the 64 MiB"
	rm msg
	printf 'Subject: utf8\n\nhi\n' > msg
	rm_remote example.test s@sender.test "$(printf 'j\303\270rn@example.test')"
	rm_expect "D ^5\.6\.7 .*SMTPUTF8"
	qp_msg 1 > msg
	i=0
	while [ $i -lt 30 ]; do
		echo "a line to make the message longer than 1000 bytes" >> msg
		i=$((i + 1))
	done
	rm_remote example.test s@sender.test a@example.test
	rm_expect "D ^5\.3\.4 .*exceeds"
	[ "$(rm_mails p)" -eq 2 ] ||
	    atf_fail "want only the first two messages stored"
}
server_limits_cleanup() {
	rm_peers_stop
}

atf_test_case routes cleanup
routes_head() {
	atf_set "descr" "smtproutes: exact, .subdomain, smarthost, IPv6 in brackets, broken"
	atf_set "require.user" "unprivileged"
}
routes_body() {
	setup good
	PORT6=$(qp_free_port ::1)
	rm_peer_start p6 "[::1]" "$PORT6"
	cat > control/smtproutes <<EOM
# a comment
.sub.test:127.0.0.2:$PORT
:[::1]:$PORT6
EOM
	rm_remote a.sub.test s@sender.test x@a.sub.test
	rm_expect "K ^2\.0\.0"
	[ "$(rm_mails p)" -eq 1 ] || atf_fail ".sub.test did not route"
	rm_remote other.test s@sender.test x@other.test
	rm_expect "K ^2\.0\.0 ::1\[::1\]"
	[ "$(rm_mails p6)" -eq 1 ] || atf_fail "the smarthost got nothing"
	echo "bad.test:host:notaport" >> control/smtproutes
	rm_remote other.test s@sender.test x@other.test
	rm_expect "Z ^4\.3\.5 .*smtproutes is broken"
	grep -q "control file smtproutes: entry 3" remote.log ||
	    qp_fail "no log line names the broken entry" remote.log
}
routes_cleanup() {
	rm_peers_stop
}

# auth_setup - a peer "p" with STARTTLS that takes relayuser's
# password, the smarthost of every domain, with that password in
# control/smtpauth; ./msg.
auth_setup() {
	rm_control
	mkdir cert && qp_mkcert "$PWD/cert"
	PORT=$(qp_free_port 127.0.0.2)
	rm_peer_start p 127.0.0.2 "$PORT" --cert cert/tls.crt --key cert/tls.key
	echo "relayuser:pass:word" > p/auth
	echo ":127.0.0.2:$PORT" > control/smtproutes
	echo "127.0.0.2:relayuser:pass:word" > control/smtpauth
	chmod 0600 control/smtpauth
	qp_msg 1 > msg
}

atf_test_case smarthost_auth cleanup
smarthost_auth_head() {
	atf_set "descr" "AUTH PLAIN to a smarthost from control/smtpauth, inside TLS only; a wrong password or a readable file keeps the mail"
	atf_set "require.user" "unprivileged"
}
smarthost_auth_body() {
	auth_setup
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	grep -q 'auth mech=PLAIN user="relayuser"' p/log ||
	    atf_fail "no AUTH in the peer log"
	grep -q "pass:word" remote.log && atf_fail "the password is in the log"
	echo "127.0.0.2:relayuser:wrong" > control/smtpauth
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.7\.8 .*535"
	[ "$(grep -c 'ip=127.0.0.2 port=' remote.log)" -eq 1 ] ||
	    qp_fail "a wrong password should end the attempts" remote.log
	echo "127.0.0.2:relayuser:pass:word" > control/smtpauth
	echo ":none" > control/tlsdestinations
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.7\.0 .*not sending the control/smtpauth password without TLS"
	rm control/tlsdestinations
	chmod 0644 control/smtpauth
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.3\.5 control/smtpauth is broken"
	grep -q "control file smtpauth: must be" remote.log ||
	    qp_fail "no log line says why smtpauth is refused" remote.log
	[ "$(rm_mails p)" -eq 1 ] || atf_fail "want exactly the first message"
}
smarthost_auth_cleanup() {
	rm_peers_stop
}

atf_test_case smarthost_auth_login cleanup
smarthost_auth_login_head() {
	atf_set "descr" "AUTH LOGIN to a smarthost that offers no PLAIN (as Microsoft's do); a wrong password keeps the mail"
	atf_set "require.user" "unprivileged"
}
smarthost_auth_login_body() {
	auth_setup
	echo LOGIN > p/authmech
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	grep -q 'auth mech=LOGIN user="relayuser"' p/log ||
	    qp_fail "no AUTH LOGIN in the peer log" p/log
	grep -q "pass:word\|cGFzczp3b3Jk" remote.log &&
	    atf_fail "the password is in the log"
	echo "127.0.0.2:relayuser:wrong" > control/smtpauth
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.7\.8 .*535"
	[ "$(rm_mails p)" -eq 1 ] || atf_fail "want exactly the first message"
}
smarthost_auth_login_cleanup() {
	rm_peers_stop
}

atf_test_case source_address cleanup
source_address_head() {
	atf_set "descr" "control/outgoingip picks the source address"
	atf_set "require.user" "unprivileged"
}
source_address_body() {
	setup good
	echo 127.0.0.5 > control/outgoingip
	rm_remote example.test s@sender.test a@example.test
	rm_expect "K ^2\.0\.0"
	grep -q "connect .*from=127.0.0.5:" p/log ||
	    qp_fail "the connection did not come from 127.0.0.5" p/log
	echo "not-an-address" > control/outgoingip
	rm_remote example.test s@sender.test a@example.test
	rm_expect "Z ^4\.3\.5"
}
source_address_cleanup() {
	rm_peers_stop
}

atf_test_case bad_arguments cleanup
bad_arguments_head() {
	atf_set "descr" "recipients outside the domain and a bad sender bounce, nothing is sent"
	atf_set "require.user" "unprivileged"
}
bad_arguments_body() {
	setup good
	rm_remote example.test s@sender.test x@other.test "a b@example.test"
	rm_expect "D ^5\.1\.3" "D ^5\.1\.3"
	rm_remote example.test "bad sender" x@example.test
	rm_expect "D ^5\.1\.7"
	[ "$(rm_mails p)" -eq 0 ] || atf_fail "a message was sent"
	atf_check -s exit:0 -o match:usage "$QPOST_LIBEXEC/remote" -h
	atf_check -s exit:100 -e match:usage "$QPOST_LIBEXEC/remote" x
}
bad_arguments_cleanup() {
	rm_peers_stop
}

atf_init_test_cases() {
	atf_add_test_case delivered
	atf_add_test_case dot_stuffing
	atf_add_test_case many_recipients
	atf_add_test_case rcpt_mixed
	atf_add_test_case replies
	atf_add_test_case broken_peers
	atf_add_test_case stalls
	atf_add_test_case starttls
	atf_add_test_case server_limits
	atf_add_test_case routes
	atf_add_test_case smarthost_auth
	atf_add_test_case smarthost_auth_login
	atf_add_test_case source_address
	atf_add_test_case bad_arguments
}
