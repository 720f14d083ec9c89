#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# control/headerchecks and control/bodychecks: Postfix's header_checks
# and body_checks tables, applied by smtpd as the message streams in.
# Refusals give the table's reply at the end of DATA and queue nothing
# (swaks with an .exe attachment, refused by its MIME part's header);
# IGNORE, REPLACE and PREPEND change what is delivered, smtpd's own
# Received: line included; DISCARD says 250 and delivers nothing;
# REDIRECT and BCC change the recipients; HOLD queues the message held
# for qctl release; WARN logs; a table that does not parse refuses the
# session with 421 and a log line naming its line.

. "$(atf_get_srcdir)/../lib.sh"

# data_dialog MSG REPLY - one message from sender@client.test to
# alice@example.test, the end of DATA expecting REPLY (a prefix)
data_dialog() {
	qp_wire "$1"
	printf '%s\n' "< 220" "> EHLO client.test" "< 250" \
	    "> MAIL FROM:<sender@client.test>" "< 250 2.1.0" \
	    "> RCPT TO:<alice@example.test>" "< 250 2.1.5" "> DATA" "< 354" \
	    ">file $1.wire" "< $2" "> QUIT" "< 221" "<eof"
}

# message SUBJECT BODY - a plain message
message() {
	printf 'From: <sender@client.test>\nTo: <alice@example.test>\n'
	printf 'Subject: %s\nMessage-ID: <%s@client.test>\n\n%s\n' "$1" \
	    "$(printf %s "$1" | tr -c 'a-zA-Z0-9' x)" "$2"
}

atf_test_case refusals cleanup
refusals_head() {
	atf_set "descr" "REJECT and DEFER from header and body checks: the" \
	    "table's reply at the end of DATA, its enhanced code or the" \
	    "default, a log line, nothing queued; a MIME part's header is" \
	    "checked (swaks's .exe attachment); a rule inside if/endif"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "swaks"
	atf_set "timeout" "60"
}
refusals_body() {
	qp_smtpd_instance "$PWD/inst"
	cat > "$QPOST_CONTROL/headerchecks" <<'EOF'
# spam words, with a text of our own
/^Subject:.*cheap pills/	REJECT No spam here, thanks
/^Subject:.*refund/	REJECT 5.7.9 Refunds by post only
/^Subject:.*later/	DEFER
if /^X-Mailer:/
/bulkmail/	REJECT Bulk mail refused
endif
# attachments by file name, in any MIME part's header
/^Content-(Type|Disposition):.*name="?[^"]*\.(exe|scr|pif)"?/	REJECT Attachment $2 refused
EOF
	printf '/^Buy now at/ REJECT\n' > "$QPOST_CONTROL/bodychecks"
	qp_smtpd_start
	n=0
	while IFS='|' read -r subject body want; do
		n=$((n + 1))
		message "$subject" "$body" > "m$n"
		data_dialog "m$n" "$want" > "d$n"
		qp_smtp_dialog "d$n"
	done <<'EOF'
Get cheap pills today|Hello.|550 5.7.1 No spam here, thanks
Your refund|Hello.|550 5.7.9 Refunds by post only
Do it later|Hello.|450 4.7.1 Try again later
Offer|Buy now at example.test!|550 5.7.1 Message content rejected
X-Mailer: bulkmail|Hello.|250 2.0.0 Ok: queued as
Hello|Buy now? Not at all.|250 2.0.0 Ok: queued as
EOF
	# the if/endif rule sees only X-Mailer: lines: a Subject of
	# "X-Mailer: bulkmail" is no X-Mailer: line
	printf 'X-Mailer: bulkmail 2.0\n' > m7
	message "Hello" "Hi." >> m7
	data_dialog m7 "550 5.7.1 Bulk mail refused" > d7
	qp_smtp_dialog d7
	# a real client's attachment: checked in the part's own header
	printf 'MZ\n' > invoice.exe
	printf 'notes\n' > notes.txt
	swaks --server "$QP_SMTP_HOST" --port "$QP_SMTP_PORT" \
	    --from sender@client.test --to alice@example.test \
	    --attach invoice.exe > swaks.out 2>&1 &&
	    qp_fail "swaks succeeded" swaks.out
	grep -q '<\*\* *550 5.7.1 Attachment exe refused' swaks.out ||
	    qp_fail "no refusal of the attachment" swaks.out
	swaks --server "$QP_SMTP_HOST" --port "$QP_SMTP_PORT" \
	    --from sender@client.test --to alice@example.test \
	    --attach notes.txt > swaks2.out 2>&1 ||
	    qp_fail "a .txt attachment refused" swaks2.out
	[ "$(grep -c 'refused message from=<sender@client.test> reason=content_check' \
	    "$QP_DIR/smtpd.log")" -eq 6 ] ||
	    qp_fail "want six refusals logged" "$QP_DIR/smtpd.log"
	grep -q 'header check action=REJECT text="Refunds by post only" on="Subject: Your refund"' \
	    "$QP_DIR/smtpd.log" || qp_fail "no check logged" \
	    "$QP_DIR/smtpd.log"
	grep -q 'body check action=REJECT text="Message content rejected" on="Buy now at example.test!"' \
	    "$QP_DIR/smtpd.log" || qp_fail "no body check logged" \
	    "$QP_DIR/smtpd.log"
	# nothing refused was queued: three messages in drop/ or beyond
	qp_start
	qp_wait_for 3 "$QP_DIR/home/alice/Maildir/new" 20
	[ "$(grep -l -e 'cheap pills' -e refund -e later -e 'Buy now at' \
	    -e 'bulkmail 2.0' -e invoice.exe \
	    "$QP_DIR"/home/alice/Maildir/new/* | wc -l)" -eq 0 ] ||
	    atf_fail "a refused message was delivered"
	qp_stop "$QP_DIR"
}
refusals_cleanup() {
	qp_stop
}

atf_test_case edits cleanup
edits_head() {
	atf_set "descr" "IGNORE removes a folded header and smtpd's own" \
	    "Received: line, REPLACE and PREPEND change headers and body" \
	    "lines with \$1 from the pattern, WARN logs, and the rest of" \
	    "the message arrives byte for byte"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
edits_body() {
	qp_smtpd_instance "$PWD/inst"
	cat > "$QPOST_CONTROL/headerchecks" <<'EOF'
/^Received: from client\.test/	IGNORE
/^X-Secret:/	IGNORE
/^Subject: (.*)$/	REPLACE Subject: [checked] $1
/^X-Origin:/	PREPEND X-Seen: yes
/^X-Watch: /	WARN watched
EOF
	printf '/^password: (.*)/ REPLACE password: (removed)\n' \
	    > "$QPOST_CONTROL/bodychecks"
	cat > m <<'EOF'
From: <sender@client.test>
To: <alice@example.test>
X-Secret: the first line
 and its folded second line
	and a third
Subject: hello there
X-Origin: lab
X-Watch: here
Message-ID: <edits@client.test>

Hi Alice,
password: hunter2
Subject: in the body, not a header
EOF
	qp_start
	qp_smtpd_start
	data_dialog m "250 2.0.0 Ok: queued as" > d
	qp_smtp_dialog d
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	f=$(ls "$QP_DIR"/home/alice/Maildir/new/*)
	cat > want <<'EOF'
From: <sender@client.test>
To: <alice@example.test>
Subject: [checked] hello there
X-Seen: yes
X-Origin: lab
X-Watch: here
Message-ID: <edits@client.test>

Hi Alice,
password: (removed)
Subject: in the body, not a header
EOF
	qp_strip_added "$f" > got
	diff -u want got >&2 || qp_fail "not what the checks make" "$f"
	grep -q '^Received: from client.test' "$f" &&
	    qp_fail "smtpd's Received: line kept" "$f"
	grep -q 'header check action=WARN text="watched" on="X-Watch: here"' \
	    "$QP_DIR/smtpd.log" || qp_fail "WARN not logged" \
	    "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
edits_cleanup() {
	qp_stop
}

atf_test_case recipients cleanup
recipients_head() {
	atf_set "descr" "DISCARD answers 250 and delivers nothing (logged);" \
	    "REDIRECT sends the message to its address only, BCC to its" \
	    "address too"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
recipients_body() {
	qp_smtpd_instance "$PWD/inst"
	cat > "$QPOST_CONTROL/headerchecks" <<'EOF'
/^Subject: drop me/	DISCARD
/^Subject: to bob/	REDIRECT bob@example.test
/^Subject: copy (.*)/	BCC $1@example.test
EOF
	qp_start
	qp_smtpd_start
	message "drop me" "gone" > m1
	data_dialog m1 "250 2.0.0 Ok: queued as" > d1
	qp_smtp_dialog d1
	grep -q 'discarded from=<sender@client.test> rcpts=1' \
	    "$QP_DIR/smtpd.log" || qp_fail "DISCARD not logged" \
	    "$QP_DIR/smtpd.log"
	message "to bob" "redirected" > m2
	data_dialog m2 "250 2.0.0 Ok: queued as" > d2
	qp_smtp_dialog d2
	message "copy bob" "copied" > m3
	data_dialog m3 "250 2.0.0 Ok: queued as" > d3
	qp_smtp_dialog d3
	qp_wait_for 2 "$QP_DIR/home/bob/Maildir/new" 20
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	[ "$(qp_maildir_grep_count 'Subject: copy bob' \
	    "$QP_DIR/home/alice/Maildir/new")" -eq 1 ] ||
	    atf_fail "BCC: alice did not get her copy"
	[ "$(qp_maildir_grep_count 'Subject: to bob' \
	    "$QP_DIR/home/alice/Maildir/new")" -eq 0 ] ||
	    atf_fail "REDIRECT: alice got the message"
	[ "$(qp_maildir_grep_count 'Subject: drop me' "$QP_DIR/home/alice" \
	    "$QP_DIR/home/bob")" -eq 0 ] || atf_fail "DISCARD delivered"
	qp_stop "$QP_DIR"
}
recipients_cleanup() {
	qp_stop
}

atf_test_case hold cleanup
hold_head() {
	atf_set "descr" "HOLD: the client gets 250, the message is queued" \
	    "held (qstat, sched's log), is not delivered while mail" \
	    "beside it is, and is delivered once qctl releases it; a" \
	    "REJECT later in the same message still refuses it"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
hold_body() {
	qp_smtpd_instance "$PWD/inst"
	cat > "$QPOST_CONTROL/headerchecks" <<'EOF'
/^Subject: review/	HOLD for a look
/^X-Spam: yes/	REJECT
EOF
	qp_start
	qp_smtpd_start
	message "review me" "held" > m1
	data_dialog m1 "250 2.0.0 Ok: queued as" > d1
	qp_smtp_dialog d1
	id=$(qp_queued_ids)
	# HOLD first, then a REJECT further down: refused
	message "review too" "refused" | sed '/^Subject:/a\
X-Spam: yes' > m2
	data_dialog m2 "550 5.7.1 Message content rejected" > d2
	qp_smtp_dialog d2
	message "plain" "passes" > m3
	data_dialog m3 "250 2.0.0 Ok: queued as" > d3
	qp_smtp_dialog d3
	grep -q "id=$id header check action=HOLD text=\"for a look\"" \
	    "$QP_DIR/smtpd.log" || qp_fail "HOLD not logged" "$QP_DIR/smtpd.log"
	qp_wait_log "id=$id queued from=<sender@client.test> .* held$" 20
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 20
	"$QPOST_LIBEXEC/qstat" | grep -q "^id=$id .* held=yes$" ||
	    atf_fail "qstat does not show $id held"
	grep -q 'H1:1,' "$QPOST_QUEUE/env/$id" ||
	    atf_fail "the hold is not in the envelope"
	[ "$(qp_maildir_grep_count 'Subject: review' \
	    "$QP_DIR/home/alice/Maildir/new")" -eq 0 ] ||
	    atf_fail "a held or refused message was delivered"
	atf_check -o inline:"$id: released\n" "$QPOST_LIBEXEC/qctl" release "$id"
	qp_wait_for 2 "$QP_DIR/home/alice/Maildir/new" 20
	[ "$(qp_maildir_grep_count 'Subject: review me' \
	    "$QP_DIR/home/alice/Maildir/new")" -eq 1 ] ||
	    atf_fail "the released message was not delivered"
	qp_stop "$QP_DIR"
}
hold_cleanup() {
	qp_stop
}

atf_test_case broken cleanup
broken_head() {
	atf_set "descr" "a table that does not parse refuses sessions with" \
	    "421 and one log line naming the file, the line and why"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
broken_body() {
	qp_smtpd_instance "$PWD/inst"
	printf '# fine\n/^Subject: a/ REJECT\n/^Subject: b/ FILTER x:y\n' \
	    > "$QPOST_CONTROL/headerchecks"
	qp_smtpd_start
	printf '< 421\n<eof\n' > s
	qp_smtp_dialog s
	grep -q 'control file headerchecks: line 3: FILTER is not supported' \
	    "$QP_DIR/smtpd.log" || qp_fail "no log line" "$QP_DIR/smtpd.log"
	rm "$QPOST_CONTROL/headerchecks"
	printf '/^x(/ REJECT\n' > "$QPOST_CONTROL/bodychecks"
	qp_smtp_dialog s
	grep -q 'control file bodychecks: line 1: the pattern does not compile' \
	    "$QP_DIR/smtpd.log" || qp_fail "no log line" "$QP_DIR/smtpd.log"
	qp_stop "$QP_DIR"
}
broken_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case refusals
	atf_add_test_case edits
	atf_add_test_case recipients
	atf_add_test_case hold
	atf_add_test_case broken
}
