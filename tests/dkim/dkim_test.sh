#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# DKIM signing (qpdkim, qpost-qpdkim(8)): mail submitted with AUTH,
# sent with sendmail and injected with qinject carries signatures that
# dkimpy (an implementation of its own) accepts with the keys that
# dnsmasq serves (in the Maildir, and as remote delivered it to a test
# peer); mail from an unauthenticated SMTP client is not
# signed, whatever its From; a signer that is gone leaves mail unsigned
# (one log line) or, with control/dkimrequired, deferred.  One instance
# for all the checks: they share the keys, the DNS server and smtpd.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../dns.sh"

# txt_arg SELECTOR - the --txt-record option that serves the record
# qpdkim -g wrote beside the key: its quoted strings, comma-separated
# and unquoted (dnsmasq keeps quotes on its command line).
txt_arg() {
	/usr/bin/python3 -c 'import re, sys
line = open(sys.argv[1]).read()
name = line.split()[0].rstrip(".")
print("--txt-record=%s,%s" % (name, ",".join(
    re.findall(r"\"([^\"]*)\"", line))))' \
	    "$QPOST_CONTROL/dkimkeys/$1.example.test.txt"
}

# start - the instance: AUTH user alice (secret1), keys made with
# qpdkim -g (RSA "sel", and Ed25519 "ed" when -t ed25519 works), the
# signer, dnsmasq serving the records, smtpd without -a.
start() {
	qp_smtpd_instance "$PWD/inst"
	qp_mkcert "$QPOST_CONTROL"
	QPOST_AUTHSOCKET=$QP_DIR/qpauth.sock
	QPOST_AUTHSTATE=$QP_DIR/authstate
	export QPOST_AUTHSOCKET QPOST_AUTHSTATE
	printf 'secret1\n' | "$QPOST_LIBEXEC/qpasswd" alice 2>>"$QP_DIR/log" ||
	    qp_fail "qpasswd failed"
	"$QPOST_LIBEXEC/qpauth" -d "$QPOST_AUTHSOCKET" 2>>"$QP_DIR/qpauth.log" &
	echo $! >> "$QP_DIR/pids"

	atf_check -o match:'^sel\._domainkey\.example\.test\. IN TXT "v=DKIM1; k=rsa; p=' \
	    -e match:"add the line example.test:sel to control/dkim" \
	    "$QPOST_LIBEXEC/qpdkim" -g sel example.test
	atf_check -o inline:"400\n" stat -c %a \
	    "$QPOST_CONTROL/dkimkeys/sel.example.test.key"
	atf_check -o inline:"700\n" stat -c %a "$QPOST_CONTROL/dkimkeys"
	# never over an existing key
	atf_check -s exit:100 -e match:"exists: remove it first" \
	    "$QPOST_LIBEXEC/qpdkim" -g sel example.test
	echo example.test:sel > "$QPOST_CONTROL/dkim"
	txt=$(txt_arg sel)
	if "$QPOST_LIBEXEC/qpdkim" -t ed25519 -g ed example.test \
	    >/dev/null 2>>"$QP_DIR/log"; then
		echo example.test:ed >> "$QPOST_CONTROL/dkim"
		txt2=$(txt_arg ed)
	fi
	echo "$QP_DIR/qpdkim.sock" > "$QPOST_CONTROL/dkimsocket"
	"$QPOST_LIBEXEC/qpdkim" -d "$QP_DIR/qpdkim.sock" \
	    2>>"$QP_DIR/qpdkim.log" &
	echo $! > "$QP_DIR/qpdkim.pid"
	cat "$QP_DIR/qpdkim.pid" >> "$QP_DIR/pids"
	qp_deadline_loop 10 test -S "$QPOST_AUTHSOCKET" ||
	    qp_fail "qpauth did not start" "$QP_DIR/qpauth.log"
	qp_deadline_loop 10 test -S "$QP_DIR/qpdkim.sock" ||
	    qp_fail "qpdkim did not start" "$QP_DIR/qpdkim.log"
	qp_dns_start "$txt" ${txt2:+"$txt2"}
	# the test peer remote delivers sink.test to (tests/smtp_sink.py)
	mkdir sink
	SINK_PORT=$(qp_free_port)
	/usr/bin/python3 "$(qp_top)/tests/smtp_sink.py" \
	    -l "127.0.0.1:$SINK_PORT" "$PWD/sink" 2>>"$QP_DIR/sink.log" &
	echo $! >> "$QP_DIR/pids"
	qp_deadline_loop 10 qp_port_open 127.0.0.1 "$SINK_PORT" ||
	    qp_fail "the test peer did not start" "$QP_DIR/sink.log"
	echo "sink.test:127.0.0.1:$SINK_PORT" > "$QPOST_CONTROL/smtproutes"
	qp_start
	qp_smtpd_start "QPOST_AUTHSOCKET=$QPOST_AUTHSOCKET"
}

# keep NAME PATTERN - copy the one message in bob's Maildir with
# PATTERN to ./NAME, for dkimpy to judge at the end (in one run: it
# takes seconds to start on a busy machine).
keep() {
	_f=$(grep -l -F -- "$2" "$QP_DIR"/home/bob/Maildir/new/* 2>/dev/null)
	[ -n "$_f" ] || qp_fail "no delivered message with $2" "$QP_DIR/log"
	cp "$_f" "$1"
}

atf_test_case signing cleanup
signing_head() {
	atf_set "descr" "AUTH submission, sendmail and qinject are signed" \
	    "(relaxed/relaxed, From oversigned) and dkimpy accepts them" \
	    "against dnsmasq; an altered body fails; an unauthenticated" \
	    "SMTP client's mail is not signed; with the signer gone mail" \
	    "is queued unsigned, or deferred with control/dkimrequired"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "90"
}
signing_body() {
	start
	n=0

	# 1. submission with AUTH; and an unauthenticated client claiming
	# alice's From, which must not be signed
	printf '%s\n' "import smtplib, ssl, sys
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=30)
s.sendmail('alice@example.test', ['bob@example.test'],
    b'From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n'
    b'Subject: no auth\r\n\r\nnot signed, no AUTH\r\n')
s.quit()
s = smtplib.SMTP(sys.argv[1], int(sys.argv[2]), timeout=30)
s.starttls(context=ctx)
s.login('alice', 'secret1')
s.sendmail('alice@example.test', ['bob@example.test', 'carol@sink.test'],
    b'From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n'
    b'Subject: by auth\r\n\r\nsigned, by AUTH\r\n')
s.quit()
print('ok')" > smtp.py
	atf_check -o inline:"ok\n" /usr/bin/python3 smtp.py "$QP_SMTP_HOST" \
	    "$QP_SMTP_PORT"
	n=$((n + 2))
	qp_wait_for $n "$QP_DIR/home/bob/Maildir/new" 30
	keep auth "signed, by AUTH"
	# the copy remote delivered to the test peer, judged the same way
	qp_wait_for 1 sink 30
	cp sink/* peer
	keep noauth "not signed, no AUTH"
	atf_check -s exit:1 grep -i "^DKIM-Signature" noauth
	f=auth
	# the RSA one (on top, or under the Ed25519 one), unfolded
	sed -n '/^DKIM-Signature:/,/b=/p' "$f" | tr -d '\n\t ' |
	    sed 's/DKIM-Signature:/\n&/g' | grep a=rsa-sha256 > sig
	atf_check -o match:"^DKIM-Signature:v=1;a=rsa-sha256;c=relaxed/relaxed;d=example.test;s=sel;" \
	    cat sig
	# From signed twice (oversigned): no From may be added after
	atf_check -o match:"h=[^;]*[Ff]rom:[^;]*[Ff]rom" cat sig
	atf_check -o match:"dkim=signed d=example.test s=sel origin=auth" \
	    cat "$QP_DIR/qpdkim.log"

	# 2. the same body changed on the way: dkimpy must say fail
	sed 's/signed, by AUTH/signed, by someone else/' "$f" > altered

	# 3. sendmail, a local user's mail: its From is login@me
	printf 'To: bob@example.test\nSubject: cron\n\nsigned, by sendmail\n' |
	    atf_check "$QPOST_LIBEXEC/sendmail" -t -i
	n=$((n + 1))
	qp_wait_for $n "$QP_DIR/home/bob/Maildir/new" 30
	keep sendmail "signed, by sendmail"
	atf_check -o match:"dkim=signed d=example.test s=sel origin=local" \
	    cat "$QP_DIR/qpdkim.log"

	# 4. qinject, with a From of the domain
	printf 'From: alice@example.test\nSubject: q\n\nsigned, by qinject\n' |
	    atf_check "$QPOST_LIBEXEC/qinject" bob@example.test
	n=$((n + 1))
	qp_wait_for $n "$QP_DIR/home/bob/Maildir/new" 30
	keep qinject "signed, by qinject"

	# 5. a From with no key: no signature, nothing logged as a failure
	printf 'From: x@other.test\nSubject: q\n\nno key for it\n' |
	    atf_check "$QPOST_LIBEXEC/qinject" bob@example.test
	n=$((n + 1))
	qp_wait_for $n "$QP_DIR/home/bob/Maildir/new" 30
	keep nokey "no key for it"
	atf_check -o match:"dkim=none reason=no_key d=other.test" \
	    cat "$QP_DIR/qpdkim.log"

	# 6. the signer gone: queued unsigned, one line says so ...
	kill "$(cat "$QP_DIR/qpdkim.pid")"
	qp_deadline_loop 10 sh -c "! kill -0 $(cat "$QP_DIR/qpdkim.pid") 2>/dev/null"
	printf 'From: alice@example.test\nSubject: q\n\nsigner gone\n' |
	    atf_check -e match:"dkim=unsigned reason=unable to reach the signer: queued unsigned" \
	    "$QPOST_LIBEXEC/qinject" bob@example.test
	n=$((n + 1))
	qp_wait_for $n "$QP_DIR/home/bob/Maildir/new" 30
	keep gone "signer gone"
	# (the drop file of a delivered message goes just after its copy
	# shows: wait for it, so the check below sees only the next one)
	qp_wait_queue_empty 30
	# ... or deferred when the admin asks: exit 71, nothing queued
	echo 1 > "$QPOST_CONTROL/dkimrequired"
	printf 'From: alice@example.test\nSubject: q\n\nmust be signed\n' |
	    atf_check -s exit:71 -e match:"deferred \\(control/dkimrequired\\)" \
	    "$QPOST_LIBEXEC/qinject" bob@example.test
	atf_check -o inline:"" ls "$QPOST_QUEUE/drop"

	# dkimpy's verdicts: every key of control/dkim signed, each good
	p=pass
	[ "$(wc -l < "$QPOST_CONTROL/dkim")" -eq 2 ] && p="pass pass"
	f=fail
	[ "$(wc -l < "$QPOST_CONTROL/dkim")" -eq 2 ] && f="fail fail"
	atf_check -e match:"body hash mismatch" \
	    -o inline:"auth: $p\npeer: $p\naltered: $f\nnoauth: none\nsendmail: $p\nqinject: $p\nnokey: none\ngone: none\n" \
	    /usr/bin/python3 "$(atf_get_srcdir)/verify.py" "$QP_DNS_PORT" \
	    auth peer altered noauth sendmail qinject nokey gone
}
signing_cleanup() {
	qp_stop
	qp_dns_stop
}

atf_init_test_cases() {
	atf_add_test_case signing
}
