#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Postfix as smtpd's client.  relay: a PRIVATE Postfix instance (its
# own config_directory, queue_directory and data_directory under a
# folder of this test, listening on 127.0.0.1 only, relayhost = qpost's
# smtpd, no local delivery) takes a message from swaks and relays it
# into smtpd; it is delivered.  The system instance (/etc/postfix) is
# never touched: every postfix command here has -c.  Postfix must be
# started as root, so that case runs as root and runs qpost's
# single-user instance as the unprivileged account qptest (runuser);
# Postfix's mail_owner is the account qppostfix (made if missing).
# relay_tls: the same with smtp_tls_security_level = encrypt: Postfix
# must use STARTTLS (with a self-signed certificate in qpost's
# control/), and smtpd's Received: says ESMTPS.
# smtp_source: smtp-source sends 400 messages (150 in a sanitizer
# build) over 20 sessions
# straight into smtpd; each is delivered exactly once.

. "$(atf_get_srcdir)/../lib.sh"
. "$(atf_get_srcdir)/../postfix.sh"

# pf_start RELAYPORT [TLSLEVEL] - write a private Postfix configuration in
# $PF_BASE/pf (tests/postfix.sh's common parts) that listens on
# 127.0.0.1:PF_PORT (a free port), relays everything for 127.0.0.0/8 to
# [127.0.0.1]:RELAYPORT and delivers nothing locally; start it with
# postfix -c and wait until it accepts connections.  TLSLEVEL is its
# smtp_tls_security_level (default none).
pf_start() {
	pf_accounts
	PF=$PF_BASE/pf
	PF_PORT=$(qp_free_port)
	pf_mkdirs "$PF"
	{
		pf_main_common "$PF" pf.test
		cat <<EOM
smtpd_relay_restrictions = permit_mynetworks, reject
relayhost = [127.0.0.1]:$1
smtp_tls_security_level = ${2:-none}
smtp_tls_loglevel = 1
smtpd_tls_security_level = none
smtp_helo_name = pf.test
EOM
	} > "$PF/etc/main.cf"
	{
		echo "127.0.0.1:$PF_PORT inet n - n - - smtpd"
		pf_master_common
	} > "$PF/etc/master.cf"
	pf_launch "$PF" 127.0.0.1 "$PF_PORT"
}

atf_test_case relay cleanup
relay_head() {
	atf_set "descr" "swaks into a private Postfix on loopback, which" \
	    "relays into qpost's smtpd: the message is delivered as sent"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks runuser"
	atf_set "timeout" "120"
}
relay_body() {
	pf_base
	qp_as_user
	pf_start "$QP_SMTP_PORT"
	qp_msg pf1 > m
	head -c -1 m > m.swaks	# swaks ends the data with CRLF itself
	atf_check -o match:"<-  250 " -e ignore swaks --server 127.0.0.1 \
	    --port "$PF_PORT" --helo client.test --from sender@example.test \
	    --to alice@example.test --data @m.swaks --timeout 10
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	f=$(ls "$QP_DIR"/home/alice/Maildir/new/*)
	# Postfix adds its own Received: and may add headers; the body and
	# our headers are intact, and smtpd's Received: names Postfix
	atf_check -o match:"^X-Test-Id: pf1" -o match:"^Received: from pf\.test" \
	    -o match:"^\.\.a line starting with dots" cat "$f"
	grep -q "status=sent" "$PF/maillog" ||
	    qp_fail "Postfix did not log status=sent" "$PF/maillog"
	pf_stop_dir "$PF"
	qp_stop "$QP_DIR"
}
relay_cleanup() {
	pf_cleanup
}

atf_test_case relay_tls cleanup
relay_tls_head() {
	atf_set "descr" "a private Postfix with smtp_tls_security_level =" \
	    "encrypt relays into smtpd over STARTTLS: delivered, ESMTPS"
	atf_set "require.user" "root"
	atf_set "require.progs" "postfix swaks runuser openssl"
	atf_set "timeout" "120"
}
relay_tls_body() {
	pf_base
	qp_as_user
	# smtpd reads control/ per connection: the certificate can come now
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -subj /CN=mx.example.test -days 2 -keyout "$QP_DIR/control/tls.key" \
	    -out "$QP_DIR/control/tls.crt" > openssl.out 2>&1 ||
	    qp_fail "openssl req failed" openssl.out
	chown "$QP_USER" "$QP_DIR/control/tls.key" "$QP_DIR/control/tls.crt"
	chmod 0600 "$QP_DIR/control/tls.key"
	pf_start "$QP_SMTP_PORT" encrypt
	qp_msg pf2 > m
	head -c -1 m > m.swaks
	atf_check -o match:"<-  250 " -e ignore swaks --server 127.0.0.1 \
	    --port "$PF_PORT" --helo client.test --from sender@example.test \
	    --to alice@example.test --data @m.swaks --timeout 10
	qp_wait_for 1 "$QP_DIR/home/alice/Maildir/new" 60
	qp_wait_queue_empty 30
	f=$(ls "$QP_DIR"/home/alice/Maildir/new/*)
	atf_check -o match:"^X-Test-Id: pf2" \
	    -o match:"with ESMTPS \(TLSv1\.[23]:" cat "$f"
	grep -q "TLS connection established" "$PF/maillog" ||
	    qp_fail "Postfix did not log a TLS connection" "$PF/maillog"
	grep -q "status=sent" "$PF/maillog" ||
	    qp_fail "Postfix did not log status=sent" "$PF/maillog"
	pf_stop_dir "$PF"
	qp_stop "$QP_DIR"
}
relay_tls_cleanup() {
	pf_cleanup
}

atf_test_case smtp_source cleanup
smtp_source_head() {
	atf_set "descr" "smtp-source -s 20 -m 400 (150 under ASan) into smtpd: all" \
	    "are delivered exactly once (distinct Message-Ids)"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "smtp-source"
	# a sanitizer build runs each program several times slower
	atf_set "timeout" "900"
}
smtp_source_body() {
	qp_smtpd_instance "$PWD/inst"
	qp_start
	qp_smtpd_start
	# fewer under ASan, where each message's processes cost ~80 ms
	# more (LeakSanitizer at exit): the same sessions, CI's budget
	n=400
	qp_sanitized && n=150
	atf_check -o ignore -e ignore timeout 400 smtp-source -s 20 -m $n \
	    -f a@x.test -t alice@example.test "127.0.0.1:$QP_SMTP_PORT"
	qp_wait_for $n "$QP_DIR/home/alice/Maildir/new" 400
	qp_wait_queue_empty 60
	atf_check -o inline:"$n\n" sh -c \
	    "ls '$QP_DIR'/home/alice/Maildir/new | wc -l | tr -d ' '"
	atf_check -o inline:"$n\n" sh -c "grep -h -i '^Message-Id:' \
	    '$QP_DIR'/home/alice/Maildir/new/* | sort -u | wc -l | tr -d ' '"
	qp_stop "$QP_DIR"
}
smtp_source_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case relay
	atf_add_test_case relay_tls
	atf_add_test_case smtp_source
}
