#! /usr/bin/atf-sh
# Copyright (c) 2026 The qpost authors. ISC licence: see LICENSE.
#
# Virtual domains (issue 7): control/virtualdomains makes a domain
# local (sched delivers it with lspawn, smtpd accepts it without
# rcpthosts), its local parts become prefix+local, found as mailboxes
# of control/users; an unknown virtual user is refused at RCPT.

. "$(atf_get_srcdir)/../lib.sh"

# virtual - an instance with virt.test and any domain under wild.test
# mapped to prefix vd, and the virtual mailbox vd+joe (no system
# account: a users.cdb entry with its own home).
virtual() {
	qp_smtpd_instance "$PWD/inst"
	mkdir "$QP_DIR/home/joe"
	printf '# virtual domains\nvirt.test:vd\n.wild.test:vd\n' \
	    > "$QPOST_CONTROL/virtualdomains"
	echo "vd+joe:$(id -u):$(id -g):$QP_DIR/home/joe" \
	    >> "$QPOST_CONTROL/users"
	"$QPOST_LIBEXEC/qcdb" users >>"$QP_DIR/qcdb.log" 2>&1 ||
	    qp_fail "qcdb users failed" "$QP_DIR/qcdb.log"
}

atf_test_case inject cleanup
inject_head() {
	atf_set "descr" "mail for a virtual domain (exact or wildcard) is" \
	    "local and reaches its users.cdb mailbox; an unknown user bounces"
	atf_set "require.user" "unprivileged"
	atf_set "timeout" "60"
}
inject_body() {
	virtual
	qp_start
	qp_msg v1 > m
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    joe@virt.test Joe@a.Wild.Test < m
	qp_wait_for 2 "$QP_DIR/home/joe/Maildir/new" 30
	for f in "$QP_DIR"/home/joe/Maildir/new/*; do
		qp_mail_body_equal "$f" m || atf_fail "$f differs"
	done
	atf_check -o match:"^Delivered-To: <joe@virt.test>" \
	    -o match:"^Delivered-To: <Joe@a.Wild.Test>" \
	    sh -c "cat '$QP_DIR'/home/joe/Maildir/new/*"
	qp_wait_log "to=<joe@virt.test> mailbox=vd+joe user=$(id -u) result=ok" 30
	atf_check -o not-match:"to=<joe@virt.test> via=remote" cat "$QP_DIR/log"
	atf_check "$QPOST_LIBEXEC/qinject" -f bob@example.test \
	    nobody@virt.test < m
	qp_wait_for 1 "$QP_DIR/home/bob/Maildir/new" 30
	atf_check -o match:"nobody@virt.test" \
	    -o match:"no mailbox here by that name" \
	    sh -c "cat '$QP_DIR'/home/bob/Maildir/new/*"
	qp_wait_queue_empty 30
	qp_stop "$QP_DIR"
}
inject_cleanup() {
	qp_stop
}

atf_test_case smtpd cleanup
smtpd_head() {
	atf_set "descr" "smtpd under tcpserver accepts a virtual domain's" \
	    "users (and its postmaster) with no rcpthosts entry, refuses an" \
	    "unknown virtual user with 550 5.1.1, and the mail is delivered"
	atf_set "require.user" "unprivileged"
	atf_set "require.progs" "tcpserver"
	atf_set "timeout" "60"
}
smtpd_body() {
	virtual
	qp_start
	qp_smtpd_start
	cat > s <<'EOF2'
< 220
> EHLO client.test
< 250
> MAIL FROM:<sender@example.test>
< 250 2.1.0
> RCPT TO:<nobody@virt.test>
< 550 5.1.1
> RCPT TO:<joe+nosuch@virt.test>
< 250 2.1.5
> RCPT TO:<nobody@x.wild.test>
< 550 5.1.1
> RCPT TO:<someone@notvirt.test>
< 550 5.7.1
> RCPT TO:<postmaster@virt.test>
< 250 2.1.5
> QUIT
< 221 2.0.0
<eof
EOF2
	qp_smtp_dialog s
	qp_msg v2 > m
	qp_smtp_send m joe@virt.test
	qp_wait_for 1 "$QP_DIR/home/joe/Maildir/new" 30
	qp_mail_body_equal "$QP_DIR"/home/joe/Maildir/new/* m ||
	    atf_fail "the delivered message differs"
	qp_wait_queue_empty 30
	qp_stop "$QP_DIR"
}
smtpd_cleanup() {
	qp_stop
}

atf_init_test_cases() {
	atf_add_test_case inject
	atf_add_test_case smtpd
}
