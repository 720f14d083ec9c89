#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# The smtpd test helpers themselves (lib.sh's qp_smtpd_start, qp_stop,
# tests/smtp_dialog.py), tried on a stand-in SMTP server
# (tests/smtp_sink.py) so that a failing smtpd test is smtpd's fault.

. "$(atf_get_srcdir)/../lib.sh"

# sink_prog - a stand-in for smtpd that writes messages into ./sink.
sink_prog() {
	mkdir -p "$PWD/sink"
	cat > "$PWD/standin" <<EOS
#!/bin/sh
exec /usr/bin/python3 "$(qp_top)/tests/smtp_sink.py" "$PWD/sink"
EOS
	chmod 755 "$PWD/standin"
	QP_SMTPD=$PWD/standin
	export QP_SMTPD
}

atf_test_case start_stop cleanup
start_stop_head() {
	atf_set "descr" "qp_smtpd_start serves sessions under tcpserver on" \
	    "a free port, qp_smtp_send gets the queue id, qp_stop stops it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
start_stop_body() {
	qp_instance "$PWD/inst"
	sink_prog
	qp_smtpd_start
	qp_msg h1 > m
	printf '.\n.x\n' >> m	# a lone dot and a dot line, stuffed
	qp_smtp_send m alice@example.test
	id=$QP_QUEUE_ID
	[ -n "${id##*[!0-9a-f]*}" ] && [ ${#id} -eq 16 ] ||
	    atf_fail "no queue id in the transcript: '$id'"
	atf_check -o inline:"1\n" sh -c "ls sink | wc -l | tr -d ' '"
	qp_crlf < m > m.crlf
	atf_check cmp "sink/$id" m.crlf
	tcps=$(cat "$QP_DIR/tcpserver.pid")
	qp_alive "$tcps" || atf_fail "tcpserver is not running"
	qp_stop "$QP_DIR"
	! qp_alive "$tcps" || atf_fail "qp_stop left tcpserver running"
	! qp_port_open 127.0.0.1 "$QP_SMTP_PORT" ||
	    atf_fail "port $QP_SMTP_PORT still open"
}
start_stop_cleanup() {
	qp_stop
}

atf_test_case dialog_mismatch cleanup
dialog_mismatch_head() {
	atf_set "descr" "smtp_dialog.py fails, saying why, on a wrong code," \
	    "a timeout and an early close; passes pipelined replies in order"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
dialog_mismatch_body() {
	qp_instance "$PWD/inst"
	sink_prog
	qp_smtpd_start
	d="/usr/bin/python3 $(qp_top)/tests/smtp_dialog.py -p $QP_SMTP_PORT"
	printf '< 220\n> NOOP\n< 354\n' > s1
	atf_check -s exit:1 -o ignore -e match:"line 3.*expected '354'" $d s1
	printf '< 220\n> NOOP\n< 250\n< 250\n' > s2
	atf_check -s exit:1 -o ignore -e match:"timed out" $d -t 1 s2
	printf '< 220\n> QUIT\n< 221\n< 250\n' > s3
	atf_check -s exit:1 -o ignore -e match:"closed by the server" $d s3
	cat > s4 <<'EOS'
< 220
>raw b"EHLO x\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nBOGUS\r\nDATA\r\n"
<~ ^250-sink.test$
< 250 2.1.0
< 250 2.1.5
< 500 5.5.2
< 354
>raw b"Subject: x\r\n\r\nhi\r\n.\r\n"
<~ ^250 2\.0\.0 Ok: queued as [0-9a-f]{16}$
> QUIT
< 221
<eof
EOS
	atf_check -o match:"^S: 354" $d s4
	qp_stop "$QP_DIR"
}
dialog_mismatch_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case start_stop
	atf_add_test_case dialog_mismatch
}
