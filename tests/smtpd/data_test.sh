#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# smtpd's DATA and BDAT: what is delivered is what was sent (dot-
# stuffing undone, 8-bit bytes untouched, CRLF made LF), the Received:
# line, and every way a message is refused: bare LF/CR and the SMTP
# smuggling variants, NUL, long lines, mail loops, a connection closed
# inside DATA, qinject failing.  After each refusal the session goes
# on, shown by a message that is then delivered.

. "$(atf_get_srcdir)/../lib.sh"

start() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
}

A=home/alice/Maildir/new
B=home/bob/Maildir/new

# count DIR - the number of delivered files in $QP_DIR/DIR.
count() {
	qp_nfiles "$QP_DIR/$1"
}

# check_only_good ID - after a refusal and a good message with X-Test-Id
# ID in the same session: exactly that one is delivered, to alice.
check_only_good() {
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_queue_empty 30
	[ "$(count "$A")" -eq 1 ] && [ "$(count "$B")" -eq 0 ] ||
	    qp_fail "delivered: alice $(count "$A"), bob $(count "$B");" \
	    "want 1 and 0"
	grep -q "^X-Test-Id: $1\$" "$QP_DIR"/$A/* ||
	    atf_fail "alice's message is not $1"
}

# good_tail - dialogue lines: one good message (X-Test-Id good) to
# alice, then QUIT.
good_tail() {
	qp_msg good > good
	qp_wire good
	cat <<EOS
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>file good.wire
< 250 2.0.0 Ok: queued as
> QUIT
< 221 2.0.0
<eof
EOS
}

atf_test_case received cleanup
received_head() {
	atf_set "descr" "a message is delivered as sent, with the Received:" \
	    "line of brief3 (from, by, with ESMTP, the id of the 250" \
	    "reply, for <rcpt>, date); no 'for' with two recipients"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
received_body() {
	start
	qp_msg r1 > m
	qp_smtp_send m alice@example.test
	id=$QP_QUEUE_ID
	qp_wait_for 1 "$QP_DIR/$A" 30
	f=$(ls "$QP_DIR"/$A/*)
	qp_mail_body_equal "$f" m || atf_fail "delivered message differs"
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$f" "$id" \
	    alice@example.test <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
head = data.split("\n\n", 1)[0]
want = (r"^Received: from client\.test \(unknown \[127\.0\.0\.1\]\)\n"
        r"\tby example\.test \(qpost\) with ESMTP id " + sys.argv[2] + r"\n"
        r"\tfor <" + re.escape(sys.argv[3]) + r">; "
        r"[^\n]*\d{4} \d\d:\d\d:\d\d [+-]\d{4}[^\n]*$")
if not re.search(want, head, re.MULTILINE):
    print("no Received: line like /%s/ in:\n%s" % (want, head))
    sys.exit(1)
print("ok")
PY
	rm -f "$QP_DIR"/$A/*

	qp_msg r2 > m2
	qp_smtp_send m2 alice@example.test bob@example.test
	id=$QP_QUEUE_ID
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	atf_check -o match:"with ESMTP id $id" -s exit:0 \
	    sh -c "cat '$QP_DIR'/$A/*"
	atf_check -s exit:1 -o ignore grep -E "^	for <" "$QP_DIR"/$A/*
	qp_stop "$QP_DIR"
}
received_cleanup() {
	qp_stop
}

atf_test_case received_protocols cleanup
received_protocols_head() {
	atf_set "descr" "the Received: line says 'with SMTP' after HELO and" \
	    "'with UTF8SMTP' for MAIL ... SMTPUTF8 (RFC 3848, 6531)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
received_protocols_body() {
	start
	qp_msg h1 > h1
	qp_wire h1
	qp_msg u1 > u1
	qp_wire u1
	cat > s <<'EOS'
< 220
> HELO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250
> RCPT TO:<alice@example.test>
< 250
> DATA
< 354
>file h1.wire
< 250
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test> SMTPUTF8
< 250 2.1.0
> RCPT TO:<bob@example.test>
< 250 2.1.5
> DATA
< 354
>file u1.wire
< 250 2.0.0 Ok: queued as
> QUIT
< 221
EOS
	qp_smtp_dialog s
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	atf_check -o match:"^	by example\.test \(qpost\) with SMTP id " \
	    sh -c "cat '$QP_DIR'/$A/*"
	atf_check -o match:"^	by example\.test \(qpost\) with UTF8SMTP id " \
	    sh -c "cat '$QP_DIR'/$B/*"
	qp_stop "$QP_DIR"
}
received_protocols_cleanup() {
	qp_stop
}

atf_test_case dotstuff cleanup
dotstuff_head() {
	atf_set "descr" "dot-stuffing is undone exactly: lines '.', '..'," \
	    "'...x', '. ', '.x' arrive in the Maildir as they were written"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
dotstuff_body() {
	start
	qp_msg d1 > m
	printf '.\n..\n...x\n. \n.x\n.\t.\nend\n.\n' >> m
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_mail_body_equal "$QP_DIR"/$A/* m || atf_fail "dot lines changed"
	qp_stop "$QP_DIR"
}
dotstuff_cleanup() {
	qp_stop
}

atf_test_case eightbit cleanup
eightbit_head() {
	atf_set "descr" "every byte 0x01-0xff but CR and LF, in header and" \
	    "body, with and without BODY=8BITMIME, is delivered unaltered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
eightbit_body() {
	start
	/usr/bin/python3 - <<'PY'
hi = bytes(b for b in range(1, 256) if b not in (10, 13))
m = (b"From: sender@example.test\nSubject: 8bit \xc3\xa9t\xc3\xa9\n"
     b"X-Test-Id: e1\nX-Raw: " + bytes(range(0x80, 0x100)) + b"\n\n"
     b"caf\xc3\xa9 \xe2\x82\xac\n" + hi + b"\n" + hi[::-1] + b"\n")
open("m", "wb").write(m)
PY
	qp_wire m
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test> BODY=8BITMIME
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>file m.wire
< 250 2.0.0 Ok: queued as
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<bob@example.test>
< 250 2.1.5
> DATA
< 354
>file m.wire
< 250 2.0.0 Ok: queued as
> QUIT
< 221 2.0.0
EOS
	qp_smtp_dialog s
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	qp_mail_body_equal "$QP_DIR"/$A/* m || atf_fail "8-bit bytes changed"
	qp_mail_body_equal "$QP_DIR"/$B/* m ||
	    atf_fail "8-bit bytes changed without BODY=8BITMIME"
	qp_stop "$QP_DIR"
}
eightbit_cleanup() {
	qp_stop
}

# smuggle SEQ - the smuggling case: an outer message to alice whose
# body is followed by SEQ (a Python bytes literal) in place of CRLF.CRLF
# and a second, smuggled message to bob, in one write; then the real
# end.  Expect one refusal (550 5.6.11), nothing of the smuggled
# message anywhere, and the session going on.
smuggle() {
	start
	{
		cat <<EOS
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>raw b"Subject: outer\r\nX-Test-Id: outer\r\n\r\nouter body" + $1 + b"MAIL FROM:<evil@example.test>\r\nRCPT TO:<bob@example.test>\r\nDATA\r\nSubject: smuggled\r\nX-Test-Id: SMUGGLED-MARKER\r\n\r\nsmuggled body\r\n.\r\n"
< 550 5.6.11
EOS
		good_tail
	} > s
	qp_smtp_dialog s
	check_only_good good
	[ "$(qp_maildir_grep_count SMUGGLED-MARKER "$QP_DIR/home")" -eq 0 ] ||
	    atf_fail "the smuggled message was delivered"
	qp_stop "$QP_DIR"
}

atf_test_case smuggle_lf_lf cleanup
smuggle_lf_lf_head() {
	atf_set "descr" "'\\n.\\n' does not end DATA: 550 5.6.11, nothing" \
	    "smuggled is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smuggle_lf_lf_body() {
	smuggle 'b"\n.\n"'
}
smuggle_lf_lf_cleanup() {
	qp_stop
}

atf_test_case smuggle_lf_crlf cleanup
smuggle_lf_crlf_head() {
	atf_set "descr" "'\\n.\\r\\n' does not end DATA: 550 5.6.11, nothing" \
	    "smuggled is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smuggle_lf_crlf_body() {
	smuggle 'b"\n.\r\n"'
}
smuggle_lf_crlf_cleanup() {
	qp_stop
}

atf_test_case smuggle_crlf_lf cleanup
smuggle_crlf_lf_head() {
	atf_set "descr" "'\\r\\n.\\n' does not end DATA: 550 5.6.11, nothing" \
	    "smuggled is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smuggle_crlf_lf_body() {
	smuggle 'b"\r\n.\n"'
}
smuggle_crlf_lf_cleanup() {
	qp_stop
}

atf_test_case smuggle_cr_cr cleanup
smuggle_cr_cr_head() {
	atf_set "descr" "'\\r.\\r' does not end DATA: 550 5.6.11, nothing" \
	    "smuggled is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smuggle_cr_cr_body() {
	smuggle 'b"\r.\r"'
}
smuggle_cr_cr_cleanup() {
	qp_stop
}

# refused EXPR REPLY - a message to alice whose data (Python bytes
# EXPR, ending in CRLF.CRLF) gets REPLY; then a good message.
refused() {
	start
	{
		cat <<EOS
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>raw $1
< $2
EOS
		good_tail
	} > s
	qp_smtp_dialog s
	check_only_good good
	qp_stop "$QP_DIR"
}

atf_test_case bare_lf cleanup
bare_lf_head() {
	atf_set "descr" "a bare LF inside a message: 550 5.6.11, session goes on"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bare_lf_body() {
	refused 'b"Subject: x\r\n\r\nline one\nline two\r\n.\r\n"' "550 5.6.11"
}
bare_lf_cleanup() {
	qp_stop
}

atf_test_case bare_cr cleanup
bare_cr_head() {
	atf_set "descr" "a bare CR inside a message: 550 5.6.11, session goes on"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
bare_cr_body() {
	refused 'b"Subject: x\r\n\r\nline one\rline two\r\n.\r\n"' "550 5.6.11"
}
bare_cr_cleanup() {
	qp_stop
}

atf_test_case nul cleanup
nul_head() {
	atf_set "descr" "a NUL byte in a message: 554 5.6.0 after DATA," \
	    "session goes on"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
nul_body() {
	refused 'b"Subject: x\r\n\r\nnul \0 here\r\n.\r\n"' "554 5.6.0"
}
nul_cleanup() {
	qp_stop
}

atf_test_case long_data_line cleanup
long_data_line_head() {
	atf_set "descr" "a 999-octet text line (1001 with CRLF) gets" \
	    "554 5.6.0; a 998-octet one is delivered whole"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
long_data_line_body() {
	refused 'b"Subject: x\r\n\r\n" + b"L" * 999 + b"\r\n.\r\n"' "554 5.6.0"
	qp_smtpd_instance "$PWD/inst2"
	qp_start
	qp_smtpd_start
	{ qp_msg l2; /usr/bin/python3 -c 'print("M" * 998)'; } > m
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_mail_body_equal "$QP_DIR"/$A/* m || atf_fail "998-octet line changed"
	qp_stop "$QP_DIR"
}
long_data_line_cleanup() {
	qp_stop
}

atf_test_case loop cleanup
loop_head() {
	atf_set "descr" "101 Received: lines: 554 5.4.6 (a loop); 100 are" \
	    "accepted"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
loop_body() {
	refused 'b"Received: from a by b; Sat, 28 Nov 2026 12:00:00 +0000\r\n" * 101 + b"Subject: loop\r\n\r\nbody\r\n.\r\n"' \
	    "554 5.4.6"
	qp_smtpd_instance "$PWD/inst2"
	qp_start
	qp_smtpd_start
	/usr/bin/python3 -c '
import sys
sys.stdout.write("Received: from a by b; Sat, 28 Nov 2026 12:00:00 +0000\n" * 100)' > m
	qp_msg l100 >> m
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/$A" 30
	atf_check -o match:"X-Test-Id: l100" sh -c "cat '$QP_DIR'/$A/*"
	qp_stop "$QP_DIR"
}
loop_cleanup() {
	qp_stop
}

atf_test_case eof_in_data cleanup
eof_in_data_head() {
	atf_set "descr" "a connection closed inside DATA queues nothing;" \
	    "the next session's message is delivered alone"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
eof_in_data_body() {
	start
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
< 354
>raw b"Subject: cut\r\nX-Test-Id: CUT-MARKER\r\n\r\nhalf a message\r\n"
close
EOS
	qp_smtp_dialog s
	# the same with a half-close (the server reads end of file)
	sed 's/^close$/shutdown/' s > s2
	echo "<drain" >> s2
	qp_smtp_dialog s2
	{ echo "< 220"; echo "> EHLO client.test"; echo "< 250"; good_tail; } \
	    > s3
	qp_smtp_dialog s3
	check_only_good good
	[ "$(qp_maildir_grep_count CUT-MARKER "$QP_DIR/home")" -eq 0 ] ||
	    atf_fail "the cut message was delivered"
	qp_stop "$QP_DIR"
	# nothing left of the cut messages (spare/ keeps the good one's
	# drop file for the next: qpost-queue(5))
	atf_check -o inline:"0\n" sh -c \
	    "find '$QPOST_QUEUE' -type f ! -path '$QPOST_QUEUE/spare/*' |
	    wc -l | tr -d ' '"
}
eof_in_data_cleanup() {
	qp_stop
}

atf_test_case chunking cleanup
chunking_head() {
	atf_set "descr" "BDAT chunks get 250 2.0.0, BDAT LAST the queued" \
	    "reply; bytes arrive as sent (no dot-stuffing, CRLF made LF)," \
	    "also with an empty BDAT 0 LAST"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
chunking_body() {
	start
	qp_msg c1 > m
	printf '.\n..not unstuffed\n' >> m
	qp_crlf < m > m.crlf
	size=$(wc -c < m.crlf | tr -d ' ')
	half=$((size / 2))
	head -c "$half" m.crlf > part1
	tail -c +"$((half + 1))" m.crlf > part2
	qp_msg c2 | qp_crlf > m2.crlf
	qp_msg c2 > m2
	cat > s <<EOS
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> BDAT $half
>file part1
< 250 2.0.0
> BDAT $((size - half)) LAST
>file part2
<~ ^250 2\.0\.0 Ok: queued as [0-9a-f]{16}$
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<bob@example.test>
< 250 2.1.5
> BDAT $(wc -c < m2.crlf | tr -d ' ')
>file m2.crlf
< 250 2.0.0
> BDAT 0 LAST
<~ ^250 2\.0\.0 Ok: queued as [0-9a-f]{16}$
> QUIT
< 221 2.0.0
<eof
EOS
	qp_smtp_dialog s
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	qp_mail_body_equal "$QP_DIR"/$A/* m ||
	    atf_fail "BDAT message differs (alice)"
	qp_mail_body_equal "$QP_DIR"/$B/* m2 ||
	    atf_fail "BDAT message differs (bob)"
	qp_stop "$QP_DIR"
}
chunking_cleanup() {
	qp_stop
}

atf_test_case qinject_fails cleanup
qinject_fails_head() {
	atf_set "descr" "when qinject cannot queue (drop/ not writable) the" \
	    "reply is 451 4.3.0 or 452 4.3.1, never 250; then it works again"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
qinject_fails_body() {
	start
	qp_msg f1 > m
	qp_wire m
	chmod 0555 "$QPOST_QUEUE/drop"
	cat > s <<'EOS'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<alice@example.test>
< 250 2.1.5
> DATA
<~ ^45[12] 4\.3\.[01]
> QUIT
< 221 2.0.0
EOS
	qp_smtp_dialog s
	chmod 1777 "$QPOST_QUEUE/drop"
	qp_smtp_send m alice@example.test
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_queue_empty 30
	atf_check -o inline:"1\n" sh -c \
	    "find '$QP_DIR/$A' -type f | wc -l | tr -d ' '"
	qp_stop "$QP_DIR"
}
qinject_fails_cleanup() {
	chmod 1777 inst/queue/drop 2>/dev/null
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case received
	atf_add_test_case received_protocols
	atf_add_test_case dotstuff
	atf_add_test_case eightbit
	atf_add_test_case smuggle_lf_lf
	atf_add_test_case smuggle_lf_crlf
	atf_add_test_case smuggle_crlf_lf
	atf_add_test_case smuggle_cr_cr
	atf_add_test_case bare_lf
	atf_add_test_case bare_cr
	atf_add_test_case nul
	atf_add_test_case long_data_line
	atf_add_test_case loop
	atf_add_test_case eof_in_data
	atf_add_test_case chunking
	atf_add_test_case qinject_fails
}
