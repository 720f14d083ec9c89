#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd's commands and reply codes (brief3), by raw dialogues: the
# greeting and EHLO, the order of commands, each verb, argument syntax
# and lengths, the command line limits, pipelining in one write.

. "$(atf_get_srcdir)/../lib.sh"

# start - an instance with smtpd on a loopback port.
start() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start "$@"
}

# rep CHAR N - CHAR repeated N times.
rep() {
	/usr/bin/python3 -c 'import sys; print(sys.argv[1] * int(sys.argv[2]))' \
	    "$1" "$2"
}

atf_test_case greeting cleanup
greeting_head() {
	atf_set "descr" "220 <me> ESMTP qpost; EHLO lists the extensions one" \
	    "a line, SIZE from control/databytes (0 without it), no HELP"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
greeting_body() {
	start
	cat > s <<'EOS'
< 220 example.test ESMTP qpost
> EHLO client.test
<~ ^250-example\.test
> EHLO client.test
<~ ^250[- ]PIPELINING$
> EHLO client.test
<~ ^250[- ]SIZE 0$
> EHLO client.test
<~ ^250[- ]8BITMIME$
> EHLO client.test
<~ ^250[- ]ENHANCEDSTATUSCODES$
> EHLO client.test
<~ ^250[- ]SMTPUTF8$
> EHLO client.test
<~ ^250[- ]CHUNKING$
> HELO client.test
<~ ^250 example\.test
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	atf_check -s exit:1 grep -E '^S: 250[- ]HELP' dialog.out

	echo 2000 > "$QPOST_CONTROL/databytes"
	printf '< 220\n> EHLO c.test\n<~ ^250[- ]SIZE 2000$\n> QUIT\n< 221\n' > s2
	qp_smtp_dialog s2	# control files are read afresh per session
	qp_stop "$QP_DIR"
}
greeting_cleanup() {
	qp_stop
}

atf_test_case sequence cleanup
sequence_head() {
	atf_set "descr" "503 5.5.1 for MAIL/RCPT/DATA before HELO, RCPT" \
	    "before MAIL, DATA before RCPT, a second MAIL; RSET clears"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
sequence_body() {
	start
	cat > s <<'EOS'
< 220
> MAIL FROM:<sender@example.test>
< 503 5.5.1
> RCPT TO:<alice@example.test>
< 503 5.5.1
> DATA
< 503 5.5.1
> EHLO client.test
< 250
> RCPT TO:<alice@example.test>
< 503 5.5.1
> DATA
< 503 5.5.1
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> MAIL FROM:<sender@example.test>
< 503 5.5.1
> DATA
< 503 5.5.1
> RSET
< 250 2.0.0
> RCPT TO:<alice@example.test>
< 503 5.5.1
> MAIL FROM:<>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
sequence_cleanup() {
	qp_stop
}

atf_test_case verbs cleanup
verbs_head() {
	atf_set "descr" "VRFY 252 2.5.2, EXPN 502 5.5.1, HELP 214 2.0.0," \
	    "NOOP and RSET 250 2.0.0, unknown verb 500 5.5.2, QUIT 221 2.0.0"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
verbs_body() {
	start
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
> VRFY alice
< 252 2.5.2
> VRFY nosuchuser
< 252 2.5.2
> EXPN postmaster
< 502 5.5.1
> HELP
< 214 2.0.0
> NOOP
< 250 2.0.0
> noop
< 250 2.0.0
> RSET
< 250 2.0.0
> XYZZY
< 500 5.5.2
> NOOP
< 250 2.0.0
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	# VRFY never gives a user list nor says who exists
	atf_check -s exit:1 grep -i "alice@" dialog.out
	qp_stop "$QP_DIR"
}
verbs_cleanup() {
	qp_stop
}

atf_test_case syntax cleanup
syntax_head() {
	atf_set "descr" "501 for bad MAIL/RCPT syntax, 555 5.5.4 for an" \
	    "unknown parameter, 553 5.1.7/5.1.3 for local part > 64," \
	    "domain > 255, path > 256; a 64-octet local part accepted"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
syntax_body() {
	start RELAYCLIENT=
	l64=$(rep a 64) l65=$(rep a 65)
	# a 255-octet domain, labels of 63: 63.63.63.63 = 255
	d63=$(rep d 63)
	d255=$d63.$d63.$d63.$d63
	d256=x$d255
	# 64 @ 191 + .other.test: a path over 256 octets however counted
	d191=$d63.$d63.$(rep e 63)
	cat > s <<EOS
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test
< 501 5.
> MAIL FROM:sender@example.test>
< 501 5.
> MAIL FROM:<sender@@example.test>
< 501 5.
> MAIL FROM:<sender@example.test> FOO=BAR
< 555 5.5.4
> MAIL FROM:<$l65@example.test>
< 553 5.1.7
> MAIL FROM:<a@$d256>
< 553 5.1.7
> MAIL FROM:<$l64@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test
< 501 5.
> RCPT TO:<alice@@example.test>
< 501 5.
> RCPT TO:<alice@example.test> FOO=BAR
< 555 5.5.4
> RCPT TO:<$l65@other.test>
< 553 5.1.3
> RCPT TO:<a@$d256>
< 553 5.1.3
> RCPT TO:<$l64@$d191.other.test>
< 553 5.1.3
> RCPT TO:<$l64@$d63.other.test>
< 250 2.1.5
> RCPT TO:<a@$d63.$d63.$d63.other.test>
< 250 2.1.5
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
syntax_cleanup() {
	qp_stop
}

atf_test_case params cleanup
params_head() {
	atf_set "descr" "MAIL takes SIZE=, BODY=8BITMIME, BODY=7BIT and" \
	    "SMTPUTF8; quoted local parts, source routes and <Postmaster>"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
params_body() {
	start
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test> SIZE=100 BODY=8BITMIME
< 250 2.1.0
> RSET
< 250 2.0.0
> MAIL FROM:<sender@example.test> BODY=7BIT
< 250 2.1.0
> RSET
< 250 2.0.0
> MAIL FROM:<"odd sender"@example.test>
< 250 2.1.0
> RCPT TO:<@example.test:alice@example.test>
< 250 2.1.5
> RCPT TO:<Postmaster>
< 250 2.1.5
> RCPT TO:<postmaster>
< 250 2.1.5
> RCPT TO:<postmaster@example.test>
< 250 2.1.5
> RSET
< 250 2.0.0
> MAIL FROM:<sender@example.test> SMTPUTF8
< 250 2.1.0
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
params_cleanup() {
	qp_stop
}

atf_test_case long_line cleanup
long_line_head() {
	atf_set "descr" "a command line of 512 octets (CRLF included) is" \
	    "served; 513 and far more get 500 5.5.2 and the session goes on"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
long_line_body() {
	start
	x505=$(rep x 505) x506=$(rep x 506)
	cat > s <<EOS
< 220
> EHLO client.test
< 250
> NOOP $x505
< 250 2.0.0
> NOOP $x506
< 500 5.5.2
> NOOP
< 250 2.0.0
>raw b"NOOP " + b"y" * 100000 + b"\r\n"
< 500 5.5.2
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
long_line_cleanup() {
	qp_stop
}

atf_test_case bad_bytes cleanup
bad_bytes_head() {
	atf_set "descr" "a command ended by a bare LF and a command with a" \
	    "NUL byte get 500 5.5.2, and neither is carried out"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bad_bytes_body() {
	start
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
>raw b"MAIL FROM:<sender@example.test>\n"
< 500 5.5.2
>raw b"MAIL FROM:<sender@exa\0mple.test>\r\n"
< 500 5.5.2
>raw b"NOOP\0\r\n"
< 500 5.5.2
> RCPT TO:<alice@example.test>
< 503 5.5.1
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_stop "$QP_DIR"
}
bad_bytes_cleanup() {
	qp_stop
}

atf_test_case pipelining cleanup
pipelining_head() {
	atf_set "descr" "MAIL, RCPT, RCPT, RCPT and DATA in one write get" \
	    "their replies in order (a refused RCPT among them); the" \
	    "message goes to the accepted recipients"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
pipelining_body() {
	start
	qp_msg pipe1 > m
	qp_wire m
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
>raw b"MAIL FROM:<sender@example.test>\r\nRCPT TO:<alice@example.test>\r\nRCPT TO:<nosuchuser@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\n"
< 250 2.1.0
< 250 2.1.5
< 550 5.1.1
< 250 2.1.5
< 354
>file m.wire
<~ ^250 2\.0\.0 Ok: queued as [0-9a-f]{16}$
>raw b"RSET\r\nMAIL FROM:<sender@example.test>\r\nRCPT TO:<alice@example.test>\r\nNOOP\r\nQUIT\r\n"
< 250 2.0.0
< 250 2.1.0
< 250 2.1.5
< 250 2.0.0
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 30
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	qp_wait_queue_empty 30
	for f in "$QP_DIR"/home/*/Maildir/new/*; do
		qp_mail_body_equal "$f" m || atf_fail "$f differs from m"
	done
	atf_check -o inline:"2\n" sh -c \
	    "find '$QP_DIR'/home/*/Maildir/new -type f | wc -l | tr -d ' '"
	qp_stop "$QP_DIR"
}
pipelining_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case greeting
	atf_add_test_case sequence
	atf_add_test_case verbs
	atf_add_test_case syntax
	atf_add_test_case params
	atf_add_test_case long_line
	atf_add_test_case bad_bytes
	atf_add_test_case pipelining
}
