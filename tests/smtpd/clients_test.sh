#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Real clients against smtpd: swaks (plain and --pipeline, and a file
# with dot lines), curl's smtp://, Python's smtplib (send_message, and
# sendmail to several recipients).  Each message is checked in the
# Maildir.

. "$(atf_get_srcdir)/../lib.sh"

start() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
}

# swaks_data FILE - FILE without its last newline, in FILE.swaks: swaks
# ends the data with CRLF itself (one more would be an empty line).
swaks_data() {
	head -c -1 "$1" > "$1.swaks"
}

A=home/alice/Maildir/new
B=home/bob/Maildir/new

atf_test_case swaks_plain cleanup
swaks_plain_head() {
	atf_set "descr" "swaks submits a message (with dot lines) and it" \
	    "is delivered as sent"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "swaks"
	atf_set "timeout" "60"
}
swaks_plain_body() {
	start
	qp_msg sw1 > m
	printf '.\n..x\n' >> m
	swaks_data m
	atf_check -o match:"<-  250 2.0.0 Ok: queued as [0-9a-f]{16}" \
	    -e ignore swaks --server 127.0.0.1 --port "$QP_SMTP_PORT" \
	    --helo client.test --from sender@example.test \
	    --to alice@example.test --data @m.swaks --timeout 10
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_mail_body_equal "$QP_DIR"/$A/* m || atf_fail "message differs"
	qp_stop "$QP_DIR"
}
swaks_plain_cleanup() {
	qp_stop
}

atf_test_case swaks_pipeline cleanup
swaks_pipeline_head() {
	atf_set "descr" "swaks --pipeline to two recipients: one delivery each"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "swaks"
	atf_set "timeout" "60"
}
swaks_pipeline_body() {
	start
	qp_msg sw2 > m
	swaks_data m
	atf_check -o match:"<-  250 2.0.0 Ok: queued as [0-9a-f]{16}" \
	    -o match:"PIPELINING" -e ignore \
	    swaks --server 127.0.0.1 --port "$QP_SMTP_PORT" --pipeline \
	    --helo client.test --from sender@example.test \
	    --to alice@example.test,bob@example.test --data @m.swaks --timeout 10
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	qp_wait_queue_empty 30
	qp_mail_body_equal "$QP_DIR"/$A/* m || atf_fail "alice's differs"
	qp_mail_body_equal "$QP_DIR"/$B/* m || atf_fail "bob's differs"
	qp_stop "$QP_DIR"
}
swaks_pipeline_cleanup() {
	qp_stop
}

atf_test_case curl cleanup
curl_head() {
	atf_set "descr" "curl smtp:// --upload-file delivers the file as sent"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "curl"
	atf_set "timeout" "60"
}
curl_body() {
	start
	qp_msg cu1 > m
	printf '.\n..x\n' >> m
	atf_check -o ignore -e ignore curl -sS --max-time 20 \
	    "smtp://127.0.0.1:$QP_SMTP_PORT/client.test" \
	    --mail-from sender@example.test --mail-rcpt alice@example.test \
	    --mail-rcpt bob@example.test --crlf --upload-file m
	qp_wait_for 1 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	qp_mail_body_equal "$QP_DIR"/$A/* m || atf_fail "message differs"
	qp_stop "$QP_DIR"
}
curl_cleanup() {
	qp_stop
}

atf_test_case smtplib cleanup
smtplib_head() {
	atf_set "descr" "Python smtplib: send_message, and sendmail to three" \
	    "recipients one of which is refused (reported, others delivered)"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
smtplib_body() {
	start
	qp_msg py1 > m
	atf_check -o inline:"ok\n" /usr/bin/python3 - "$QP_SMTP_PORT" <<'PY'
import email, re, smtplib, sys
port = int(sys.argv[1])
with smtplib.SMTP("127.0.0.1", port, "client.test", timeout=10) as s:
    code, msg = s.ehlo()
    assert code == 250, (code, msg)
    for ext in ("pipelining", "size", "8bitmime", "enhancedstatuscodes",
                "smtputf8", "chunking"):
        assert s.has_extn(ext), "no %s in EHLO" % ext
    m = email.message_from_bytes(open("m", "rb").read())
    refused = s.send_message(m, from_addr="sender@example.test",
                             to_addrs=["alice@example.test"])
    assert refused == {}, refused
    raw = b"From: sender@example.test\r\nSubject: many\r\n" \
          b"X-Test-Id: py2\r\n\r\nto many\r\n"
    refused = s.sendmail("sender@example.test",
                         ["alice@example.test", "nosuchuser@example.test",
                          "bob@example.test"], raw)
    assert list(refused) == ["nosuchuser@example.test"], refused
    assert refused["nosuchuser@example.test"][0] == 550, refused
    code, msg = s.noop()
    assert code == 250, (code, msg)
    assert re.match(rb"2\.0\.0", msg), msg
print("ok")
PY
	qp_wait_for 2 "$QP_DIR/$A" 30
	qp_wait_for 1 "$QP_DIR/$B" 30
	qp_wait_queue_empty 30
	atf_check -o inline:"3\n" sh -c \
	    "find '$QP_DIR/home' -type f | wc -l | tr -d ' '"
	atf_check -o match:"X-Test-Id: py2" sh -c "cat '$QP_DIR'/$B/*"
	atf_check -o match:"X-Test-Id: py1" sh -c "cat '$QP_DIR'/$A/*"
	qp_stop "$QP_DIR"
}
smtplib_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case swaks_plain
	atf_add_test_case swaks_pipeline
	atf_add_test_case curl
	atf_add_test_case smtplib
}
